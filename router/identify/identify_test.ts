import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { composeIdentifiers, type IdentifyInput } from "./identifier.ts";
import { headerTokenIdentifier } from "./header_token.ts";
import { methodAndHostIdentifier } from "./method_and_host.ts";
import { pathIdentifier } from "./path.ts";
import { headerIdentifier } from "./header.ts";
import { staticIdentifier } from "./static.ts";

const SVC = ["svc"];

function input(url: string, init: RequestInit = {}, host?: string): IdentifyInput {
  const req = new Request(url, init);
  const u = new URL(url);
  return { req, url: u, host: host ?? u.host };
}

const simplePath = (s: string) => s.split("/").filter(Boolean);

Deno.test("headerTokenIdentifier() names /svc/<Host> keeping case and port", () => {
  const id = headerTokenIdentifier(SVC);
  assertEquals(id(input("http://x/", {}, "Hello:7777")), { ok: true, dst: ["svc", "Hello:7777"] });
  assertEquals(id(input("http://x/", {}, "")), { ok: false, reason: "Host header is absent" });
});

Deno.test("headerTokenIdentifier() reads another header when configured", () => {
  const id = headerTokenIdentifier(SVC, { header: "x-dst" });
  assertEquals(id(input("http://x/", { headers: { "x-dst": "web" } })), {
    ok: true,
    dst: ["svc", "web"],
  });
  assertEquals(id(input("http://x/")).ok, false);
});

Deno.test("methodAndHostIdentifier() names /svc/1.1/METHOD/host, optionally with the uri", () => {
  assertEquals(methodAndHostIdentifier(SVC)(input("http://Web.Example/a/b", {}, "Web.Example")), {
    ok: true,
    dst: ["svc", "1.1", "GET", "web.example"],
  });
  const withUri = methodAndHostIdentifier(SVC, { httpUriInDst: true });
  assertEquals(withUri(input("http://web/a/b?q=1", { method: "POST" })), {
    ok: true,
    dst: ["svc", "1.1", "POST", "web", "a", "b"],
  });
});

Deno.test("methodAndHostIdentifier() names an HTTP/1.0 request /svc/1.0/METHOD[/uri], no host needed", () => {
  const plain = methodAndHostIdentifier(SVC);
  assertEquals(plain({ ...input("http://localhost/a/b", {}, ""), version: "1.0" }), {
    ok: true,
    dst: ["svc", "1.0", "GET"],
  });
  const withUri = methodAndHostIdentifier(SVC, { httpUriInDst: true });
  assertEquals(withUri({ ...input("http://web/a/b", { method: "PUT" }), version: "1.0" }), {
    ok: true,
    dst: ["svc", "1.0", "PUT", "a", "b"],
  });
  // Linkerd's MethodAndHostIdentifierTest "http/1.1 request without a host header": unidentified,
  // with MethodAndHostIdentifier's reason.
  assertEquals(plain({ ...input("http://x/", {}, ""), version: "1.1" }), {
    ok: false,
    reason: "HTTP/1.1 request missing hostname",
  });
});

// Linkerd's HeaderIdentifierTest "header is absent" / "header is empty": unidentified, and the
// reason (HeaderIdentifier: `s"$header header is absent"`) names the header as configured.
Deno.test("headerIdentifier() leaves an absent or empty header unidentified, naming it as configured", () => {
  const id = headerIdentifier(SVC, simplePath, { header: "My-Header" });
  const absent = { ok: false, reason: "My-Header header is absent" } as const;
  assertEquals(id(input("http://h/")), absent);
  assertEquals(id(input("http://h/", { headers: { "my-header": "" } })), absent);
  assertEquals(id(input("http://h/", { headers: { "my-header": "/a/b/c" } })), {
    ok: true,
    dst: ["svc", "a", "b", "c"],
  });
  assertEquals(headerIdentifier(SVC, simplePath)(input("http://h/")), {
    ok: false,
    reason: "l5d-name header is absent",
  });
});

Deno.test("pathIdentifier() takes N segments and consumes them when asked", () => {
  const id = pathIdentifier(SVC, { segments: 2, consume: true });
  assertEquals(id(input("http://h/true/love/waits.php?x=1")), {
    ok: true,
    dst: ["svc", "true", "love"],
    target: "/waits.php?x=1",
  });
  assertEquals(id(input("http://h/a/b/")), { ok: true, dst: ["svc", "a", "b"], target: "/" });
  assertEquals(id(input("http://h/a/b/c/")), { ok: true, dst: ["svc", "a", "b"], target: "/c/" });
  assertEquals(id(input("http://h/a")), { ok: false, reason: "not enough segments in path" });
  assertEquals(pathIdentifier(SVC)(input("http://h/users/1")), { ok: true, dst: ["svc", "users"] });
});

Deno.test("headerIdentifier() reads the header value as a path", () => {
  const id = headerIdentifier(SVC, simplePath);
  assertEquals(id(input("http://h/", { headers: { "l5d-name": "/a/b" } })), {
    ok: true,
    dst: ["svc", "a", "b"],
  });
  assertEquals(id(input("http://h/")).ok, false);
});

Deno.test("staticIdentifier() names every request the same", () => {
  assertEquals(staticIdentifier(SVC, ["web"])(input("http://h/x")), {
    ok: true,
    dst: ["svc", "web"],
  });
});

Deno.test("composeIdentifiers() takes the first name and reports the last reason otherwise", async () => {
  const id = composeIdentifiers([
    headerTokenIdentifier(SVC, { header: "x-a" }),
    pathIdentifier(SVC),
  ]);
  assertEquals(id(input("http://h/web")), { ok: true, dst: ["svc", "web"] });
  const err = await assertRejects(() => id(input("http://h/")));
  assertEquals(err.message, "Unknown destination: not enough segments in path");
});

Deno.test("composeIdentifiers() stops at an identifier that fails instead of trying the next", async () => {
  const strict = (s: string) => {
    if (!s.startsWith("/")) throw new Error("a path starts with /");
    return simplePath(s);
  };
  const id = composeIdentifiers([headerIdentifier(SVC, strict), pathIdentifier(SVC)]);
  assertEquals(id(input("http://h/web")), { ok: true, dst: ["svc", "web"] }, "absent: next one");
  const err = await assertRejects(() =>
    id(input("http://h/web", { headers: { "l5d-name": "x" } }))
  );
  assertEquals(err.name, "UnknownDestination");
  // Linkerd: UnknownDst(req, e.getMessage), the path parser's message.
  assertEquals(err.message, "Unknown destination: a path starts with /");
});
