import { assertEquals } from "../../tests/support/assert.ts";
import { matchPrefix, resolveClientParams, resolveServiceParams } from "./prefix_params.ts";
import { clientBlockSchema } from "./client_schema.ts";
import { serviceBlockSchema } from "./service_schema.ts";

Deno.test("matchPrefix() matches literal, * and {capture} segments as a prefix", () => {
  assertEquals(matchPrefix("/svc", "/svc/foo"), {});
  assertEquals(matchPrefix("/", "/anything"), {});
  assertEquals(matchPrefix("/svc/foo", "/svc/foobar"), undefined);
  assertEquals(matchPrefix("/svc/foo/bar", "/svc/foo"), undefined);
  assertEquals(matchPrefix("/#/*/{service}", "/#/io.l5d.fs/cat/x"), { service: "cat" });
  assertEquals(matchPrefix("/$/inet/*/80", "/$/inet/web/80"), {});
  assertEquals(matchPrefix("/$/inet/*/80", "/$/inet/web/443"), undefined);
  assertEquals(matchPrefix("/x/{foo}-{bar}", "/x/a-b-c"), { foo: "a-b", bar: "c" });
});

Deno.test("resolveServiceParams() applies every matching static config, later ones winning", () => {
  const svc = serviceBlockSchema.parse({
    kind: "io.l5d.static",
    configs: [
      { prefix: "/svc", totalTimeoutMs: 500, retries: { budget: { percentCanRetry: 0.5 } } },
      { prefix: "/svc/foo", totalTimeoutMs: 1000 },
      { prefix: "/svc/bar", retries: { backoff: { kind: "jittered", minMs: 10, maxMs: 100 } } },
    ],
  });
  const foo = resolveServiceParams(svc, "/svc/foo");
  assertEquals(foo.totalTimeoutMs, 1000);
  assertEquals(foo.retries.budget.percentCanRetry, 0.5);
  assertEquals(foo.responseClassifier, { kind: "io.l5d.http.nonRetryable5XX" });
  const bar = resolveServiceParams(svc, "/svc/bar");
  assertEquals(bar.totalTimeoutMs, 500);
  assertEquals(bar.retries, {
    budget: { percentCanRetry: 0.5, minRetriesPerSec: 10, ttlSecs: 10 },
    backoff: { kind: "jittered", minMs: 10, maxMs: 100 },
  });
  assertEquals(resolveServiceParams(svc, "/other").totalTimeoutMs, undefined);
});

Deno.test("resolveServiceParams() returns the global block's params", () => {
  const svc = serviceBlockSchema.parse({ totalTimeoutMs: 300 });
  assertEquals(resolveServiceParams(svc, "/svc/x").totalTimeoutMs, 300);
});

Deno.test("resolveClientParams() substitutes captures into tls.commonName", () => {
  const client = clientBlockSchema.parse({
    kind: "io.l5d.static",
    configs: [
      { prefix: "/", requestAttemptTimeoutMs: 1000, loadBalancer: { kind: "ewma" } },
      { prefix: "/#/io.l5d.fs/dog", loadBalancer: { kind: "aperture" } },
      { prefix: "/$/inet/{service}", tls: { commonName: "{service}" } },
      { prefix: "/$/inet/localhost", tls: { enabled: false } },
    ],
  });
  const dog = resolveClientParams(client, "/#/io.l5d.fs/dog");
  assertEquals(dog.loadBalancer.kind, "aperture");
  assertEquals(dog.requestAttemptTimeoutMs, 1000);
  assertEquals(dog.tls, undefined);
  assertEquals(resolveClientParams(client, "/#/io.l5d.fs/cat").loadBalancer.kind, "ewma");
  assertEquals(
    resolveClientParams(client, "/$/inet/example.com/443").tls?.commonName,
    "example.com",
  );
  assertEquals(resolveClientParams(client, "/$/inet/localhost/7777").tls?.enabled, false);
  assertEquals(resolveClientParams(client, "/x").failureAccrual.kind, "io.l5d.consecutiveFailures");
});

Deno.test("resolveClientParams() overlays h2 SETTINGS keys; maxHeaderListByts and maxHeaderListBytes are one key", () => {
  const client = clientBlockSchema.parse({
    kind: "io.l5d.static",
    configs: [
      { prefix: "/#/io.l5d.fs", maxHeaderListBytes: 7000, headerTableBytes: 1024 },
      { prefix: "/#/io.l5d.fs/cat", maxHeaderListByts: 5000, initialStreamWindowBytes: 300000 },
    ],
  });
  const cat = resolveClientParams(client, "/#/io.l5d.fs/cat");
  assertEquals(
    [cat.maxHeaderListBytes, cat.headerTableBytes, cat.initialStreamWindowBytes],
    [5000, 1024, 300000],
  );
  const dog = resolveClientParams(client, "/#/io.l5d.fs/dog");
  assertEquals([dog.maxHeaderListBytes, dog.initialStreamWindowBytes], [7000, undefined]);
});
