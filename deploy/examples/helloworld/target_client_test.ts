import { assertEquals } from "../../../tests/support/assert.ts";
import { contextHeaders, proxyFromEnv, proxyUrl } from "./target_client.ts";

function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

Deno.test("proxyFromEnv() follows Go's ProxyFromEnvironment rules", () => {
  assertEquals(proxyFromEnv("world", envOf({})), undefined);
  assertEquals(proxyFromEnv("world", envOf({ http_proxy: "l5d:4140" })), "l5d:4140");
  assertEquals(proxyFromEnv("world", envOf({ HTTP_PROXY: "a:1", http_proxy: "b:2" })), "a:1");
  const env = { http_proxy: "l5d:4140", NO_PROXY: "skip.me, .corp, *.example.org, db:5432" };
  assertEquals(proxyFromEnv("localhost:7778", envOf(env)), undefined);
  assertEquals(proxyFromEnv("127.0.0.1:7778", envOf(env)), undefined);
  assertEquals(proxyFromEnv("skip.me", envOf(env)), undefined);
  assertEquals(proxyFromEnv("a.skip.me", envOf(env)), undefined);
  assertEquals(proxyFromEnv("x.corp", envOf(env)), undefined);
  assertEquals(proxyFromEnv("corp", envOf(env)), "l5d:4140");
  assertEquals(proxyFromEnv("www.example.org", envOf(env)), undefined);
  assertEquals(proxyFromEnv("db:5432", envOf(env)), undefined);
  assertEquals(proxyFromEnv("db", envOf(env)), "l5d:4140", "port 80 is not 5432");
  assertEquals(proxyFromEnv("world", envOf({ ...env, no_proxy: "*" })), "l5d:4140");
  assertEquals(proxyFromEnv("world", envOf({ http_proxy: "l5d:4140", no_proxy: "*" })), undefined);
});

Deno.test("proxyUrl() and contextHeaders() normalise the proxy and pick l5d-ctx*", () => {
  assertEquals(proxyUrl("127.0.0.1:4140"), "http://127.0.0.1:4140");
  assertEquals(proxyUrl("http://l5d:4140"), "http://l5d:4140");
  const h = contextHeaders(
    new Headers({ "L5d-Ctx-Trace": "t", "l5d-ctx-deadline": "d", "l5d-dtab": "x", host: "h" }),
  );
  assertEquals([...h], [["l5d-ctx-deadline", "d"], ["l5d-ctx-trace", "t"]]);
});
