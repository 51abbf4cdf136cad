import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { endpointNode } from "./node.ts";
import { testCtx } from "../_testing.ts";

Deno.test("endpointNode() counts requests in flight as its load", async () => {
  const clock = new FakeClock();
  const release: (() => void)[] = [];
  const node = endpointNode({
    id: "10.0.0.1:80",
    weight: 3,
    call: () => new Promise((r) => release.push(() => r(new Response("ok")))),
  });
  assertEquals([node.id, node.weight, node.load(), node.status()], ["10.0.0.1:80", 3, 0, "open"]);
  const a = node.call(new Request("http://a/"), testCtx(clock));
  const b = node.call(new Request("http://a/"), testCtx(clock));
  assertEquals([node.load(), node.outstanding], [2, 2]);
  release.shift()!();
  await a;
  assertEquals(node.load(), 1);
  release.shift()!();
  await b;
  assertEquals(node.load(), 0);
});

Deno.test("endpointNode() releases its count when the call fails, sync or async", async () => {
  const clock = new FakeClock();
  const failing = endpointNode({ id: "a", call: () => Promise.reject(new Error("x")) });
  await assertRejects(() => failing.call(new Request("http://a/"), testCtx(clock)));
  const throwing = endpointNode({
    id: "b",
    call: () => {
      throw new Error("sync");
    },
  });
  await assertRejects(() => throwing.call(new Request("http://a/"), testCtx(clock)), "sync");
  assertEquals([failing.load(), throwing.load()], [0, 0]);
});

Deno.test("endpointNode() reports the transport status, and closed after close()", async () => {
  let status: "open" | "busy" = "busy";
  let closed = 0;
  const node = endpointNode({
    id: "a",
    call: () => Promise.resolve(new Response()),
    status: () => status,
    close: () => Promise.resolve(void closed++),
  });
  assertEquals(node.status(), "busy");
  status = "open";
  assertEquals([node.status(), node.weight], ["open", 1]);
  await node.close();
  assertEquals([node.status(), closed], ["closed", 1]);
});
