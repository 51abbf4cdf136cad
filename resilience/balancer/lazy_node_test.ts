import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { lazyNode } from "./lazy_node.ts";
import { endpointNode } from "./node.ts";
import { testCtx } from "../_testing.ts";
import type { Node } from "../../router/core/service.ts";

function spec(built: string[]) {
  return {
    idOf: (port: number) => `10.0.0.1:${port}`,
    make: (id: string, port: number): Node => {
      built.push(id);
      return endpointNode({ id, weight: 2, call: () => Promise.resolve(new Response(`${port}`)) });
    },
  };
}

Deno.test("lazyNode() builds its endpoint stack on the first call only", async () => {
  const clock = new FakeClock();
  const built: string[] = [];
  const node = lazyNode(80, 2, spec(built));
  assertEquals([node.status(), node.load(), node.weight, node.built], ["open", 0, 2, undefined]);
  assertEquals(built, []);
  const a = await node.call(new Request("http://a/"), testCtx(clock));
  const b = await node.call(new Request("http://a/"), testCtx(clock));
  assertEquals([await a.text(), await b.text()], ["80", "80"]);
  assertEquals(built, ["10.0.0.1:80"]);
  assertEquals([node.id, node.built?.id], ["10.0.0.1:80", "10.0.0.1:80"]);
});

Deno.test("lazyNode() reports the built node's load and status", async () => {
  const clock = new FakeClock();
  let release!: () => void;
  const node = lazyNode(1, 1, {
    idOf: String,
    make: (id) =>
      endpointNode({ id, call: () => new Promise((r) => release = () => r(new Response())) }),
  });
  const p = node.call(new Request("http://a/"), testCtx(clock));
  assertEquals(node.load(), 1);
  release();
  await p;
  assertEquals(node.load(), 0);
  await node.close();
  assertEquals(node.status(), "closed");
});

Deno.test("lazyNode() closed before its first call builds nothing and rejects calls", async () => {
  const clock = new FakeClock();
  const built: string[] = [];
  const node = lazyNode(81, 1, spec(built));
  await node.close();
  assertEquals(node.status(), "closed");
  await assertRejects(() => node.call(new Request("http://a/"), testCtx(clock)));
  assertEquals(built, []);
});
