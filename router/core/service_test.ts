import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { andThen, invoke, type Service, stack } from "./service.ts";
import { Ctx } from "./ctx.ts";

function ctx(): Ctx {
  return new Ctx({
    url: new URL("http://web/"),
    router: "r",
    signal: new AbortController().signal,
    startMs: 0,
    host: "web",
    target: "/",
  });
}

Deno.test("invoke() turns a service's synchronous throw into a rejection", async () => {
  const broken: Service = () => {
    throw new TypeError("sync");
  };
  const p = invoke(broken, new Request("http://web/"), ctx()); // must not throw here
  const err = await assertRejects(() => p, "sync");
  assertEquals(err.name, "TypeError");
  const ok: Service = () => Promise.resolve(new Response("fine"));
  assertEquals(await (await invoke(ok, new Request("http://web/"), ctx())).text(), "fine");
});

Deno.test("stack() runs filters top to bottom around the leaf; null entries are skipped", async () => {
  const seen: string[] = [];
  const leaf: Service = () => {
    seen.push("leaf");
    return Promise.resolve(new Response("x"));
  };
  const svc = stack([
    (req, c, next) => (seen.push("a"), next(req, c)),
    null,
    (req, c, next) => (seen.push("b"), next(req, c)),
  ], leaf);
  await svc(new Request("http://web/"), ctx());
  assertEquals(seen, ["a", "b", "leaf"]);
  const one = andThen((req, c, next) => next(req, c), leaf);
  assertEquals(await (await one(new Request("http://web/"), ctx())).text(), "x");
});
