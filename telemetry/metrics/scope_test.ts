import { assertEquals, assertThrows } from "./_assert.ts";
import {
  clientScope,
  clientServiceScope,
  endpointScope,
  normalizeScope,
  parseScope,
  scopeKey,
  serverScope,
  serviceScope,
} from "./scope.ts";

Deno.test("scopeKey() renders the five Linkerd/Switchyard scope shapes", () => {
  assertEquals(
    scopeKey(["rt", "incoming", "server", "127.0.0.1", "4141"]),
    "rt/incoming/server/127.0.0.1/4141",
  );
  assertEquals(
    scopeKey(["rt", "outgoing", "service", "svc/world"]),
    "rt/outgoing/service/svc/world",
  );
  assertEquals(
    scopeKey(["rt", "outgoing", "client", "#/io.l5d.fs/world"]),
    "rt/outgoing/client/#/io.l5d.fs/world",
  );
  assertEquals(
    scopeKey(["rt", "outgoing", "client", "#/io.l5d.fs/world", "service", "svc/world"]),
    "rt/outgoing/client/#/io.l5d.fs/world/service/svc/world",
  );
  assertEquals(
    scopeKey(["rt", "outgoing", "client", "#/io.l5d.fs/world", "endpoint", "127.0.0.1:7778"]),
    "rt/outgoing/client/#/io.l5d.fs/world/endpoint/127.0.0.1:7778",
  );
});

Deno.test("scope helpers drop the leading slash and agree with the raw shapes", () => {
  assertEquals(serverScope("incoming", "127.0.0.1", 4141), [
    "rt",
    "incoming",
    "server",
    "127.0.0.1/4141",
  ]);
  assertEquals(serviceScope("outgoing", "/svc/world"), ["rt", "outgoing", "service", "svc/world"]);
  assertEquals(clientScope("outgoing", "/#/io.l5d.fs/world"), [
    "rt",
    "outgoing",
    "client",
    "#/io.l5d.fs/world",
  ]);
  assertEquals(
    clientServiceScope("outgoing", "/#/io.l5d.fs/world", "/svc/world"),
    ["rt", "outgoing", "client", "#/io.l5d.fs/world", "service", "svc/world"],
  );
  assertEquals(
    endpointScope("outgoing", "/#/io.l5d.fs/world", "127.0.0.1:7778"),
    ["rt", "outgoing", "client", "#/io.l5d.fs/world", "endpoint", "127.0.0.1:7778"],
  );
});

Deno.test("normalizeScope() joins server ip and port into one element, once", () => {
  assertEquals(normalizeScope(["rt", "in", "server", "0.0.0.0", "4141"]), [
    "rt",
    "in",
    "server",
    "0.0.0.0/4141",
  ]);
  assertEquals(normalizeScope(["rt", "in", "server", "0.0.0.0/4141"]), [
    "rt",
    "in",
    "server",
    "0.0.0.0/4141",
  ]);
  assertEquals(
    normalizeScope(["rt", "in", "server", "0.0.0.0/4141", "x"]),
    ["rt", "in", "server", "0.0.0.0/4141", "x"],
  );
  assertEquals(normalizeScope(["rt", "out", "service", "/svc/a"]), [
    "rt",
    "out",
    "service",
    "svc/a",
  ]);
  assertEquals(normalizeScope(["process"]), ["process"]);
});

Deno.test("normalizeScope() rejects empty elements", () => {
  assertThrows(() => normalizeScope(["rt", "", "service", "x"]), RangeError);
});

Deno.test("parseScope() finds the level and its label values", () => {
  assertEquals(parseScope(["rt", "in", "server", "1.2.3.4/80", "requests"]), {
    kind: "server",
    router: "in",
    server: "1.2.3.4/80",
    rest: ["requests"],
  });
  assertEquals(parseScope(["rt", "out", "client", "#/a", "service", "svc/b", "status", "5XX"]), {
    kind: "clientService",
    router: "out",
    client: "#/a",
    service: "svc/b",
    rest: ["status", "5XX"],
  });
  assertEquals(parseScope(["rt", "out", "client", "#/a", "endpoint", "h:1", "requests"]), {
    kind: "endpoint",
    router: "out",
    client: "#/a",
    endpoint: "h:1",
    rest: ["requests"],
  });
  assertEquals(parseScope(["rt", "out", "client", "#/a", "service"]).kind, "client");
  assertEquals(parseScope(["rt", "out", "bindcache", "size"]), {
    kind: "router",
    router: "out",
    rest: ["bindcache", "size"],
  });
  assertEquals(parseScope(["jvm", "uptime"]), { kind: "other", rest: ["jvm", "uptime"] });
});
