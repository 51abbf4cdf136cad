import { assertEquals } from "../../tests/support/assert.ts";
import { serviceBlockSchema } from "../config/service_schema.ts";
import { routeSchema } from "../config/routes_schema.ts";
import { resolveServiceParams } from "../config/prefix_params.ts";
import { routeServiceConfig } from "./route_service_config.ts";

const classified = routeSchema.parse({
  match: { path: "/u/:id" },
  dst: "/svc/users/{id}",
  responseClassifier: { kind: "io.l5d.http.retryableRead5XX" },
});

Deno.test("routeServiceConfig() leaves the service block alone when no route sets a classifier", () => {
  const svc = serviceBlockSchema.parse({ totalTimeoutMs: 100 });
  const out = routeServiceConfig(svc, [routeSchema.parse({ dst: "/svc/a" })]);
  assertEquals(out === svc, true);
});

Deno.test("routeServiceConfig() turns a global block into static entries keeping its params", () => {
  const svc = serviceBlockSchema.parse({
    totalTimeoutMs: 100,
    responseClassifier: { kind: "io.l5d.http.allSuccessful" },
  });
  const out = routeServiceConfig(svc, [classified]);
  assertEquals(out.kind, "io.l5d.static");
  const users = resolveServiceParams(out, "/svc/users/42");
  assertEquals(users.responseClassifier.kind, "io.l5d.http.retryableRead5XX");
  assertEquals(users.totalTimeoutMs, 100);
  const other = resolveServiceParams(out, "/svc/other");
  assertEquals(other.responseClassifier.kind, "io.l5d.http.allSuccessful");
  assertEquals(other.retries, resolveServiceParams(svc, "/svc/other").retries);
});

Deno.test("routeServiceConfig() appends to a static block so the route wins", () => {
  const svc = serviceBlockSchema.parse({
    kind: "io.l5d.static",
    configs: [{ prefix: "/svc/users", responseClassifier: { kind: "io.l5d.http.allSuccessful" } }],
  });
  const out = routeServiceConfig(svc, [classified]);
  assertEquals(
    resolveServiceParams(out, "/svc/users/1").responseClassifier.kind,
    "io.l5d.http.retryableRead5XX",
  );
});
