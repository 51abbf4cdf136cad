import { leafPath, NEG } from "./_activity.ts";
import { assertEquals } from "../tests/support/assert.ts";
import { createRewritingNamer, rewritingNamers } from "./rewriting.ts";

// Cases ported from L1 namer/core/src/test/.../HttpTest.scala and HostPortTest.scala.
const namers = rewritingNamers();
function lookup(name: string, path: string[]) {
  const namer = namers.get(name);
  if (!namer) throw new Error(`no namer ${name}`);
  return namer.lookup(path).get();
}
const leaf = leafPath;
const neg = NEG;

Deno.test("rewritingNamers() anyMethod and anyMethodPfx drop the method", () => {
  assertEquals(lookup("io.buoyant.http.anyMethod", ["GET", "foo", "bar"]), leaf(["foo", "bar"]));
  assertEquals(lookup("io.buoyant.http.anyMethod", ["A.B", "foo"]), neg);
  assertEquals(
    lookup("io.buoyant.http.anyMethodPfx", ["foo", "GET", "bar", "bah"]),
    leaf(["foo", "bar", "bah"]),
  );
  assertEquals(lookup("io.buoyant.http.anyMethodPfx", ["foo", "A.B", "bar"]), neg);
});

Deno.test("rewritingNamers() anyHost and anyHostPfx drop the host", () => {
  assertEquals(lookup("io.buoyant.http.anyHost", ["a.b", "foo", "bar"]), leaf(["foo", "bar"]));
  assertEquals(lookup("io.buoyant.http.anyHost", ["a%b", "foo"]), neg);
  assertEquals(lookup("io.buoyant.http.anyHostPfx", ["foo", "a.b", "bar"]), leaf(["foo", "bar"]));
  assertEquals(lookup("io.buoyant.http.anyHostPfx", ["foo", "a%b", "bar"]), neg);
});

Deno.test("rewritingNamers() subdomainOf and subdomainOfPfx keep the subdomain", () => {
  assertEquals(
    lookup("io.buoyant.http.subdomainOf", ["a.b", "foo.a.b", "bar", "bah"]),
    leaf(["foo", "bar", "bah"]),
  );
  const pfx = "io.buoyant.http.subdomainOfPfx";
  assertEquals(lookup(pfx, ["a.b", "foo", "bar.a.b", "bah"]), leaf(["foo", "bar", "bah"]));
  assertEquals(
    lookup(pfx, ["a.b", "foo", "bar_suffix.a.b", "bah"]),
    leaf(["foo", "bar_suffix", "bah"]),
  );
  assertEquals(lookup(pfx, ["a.b", "foo", "bar-x.a.b", "bah"]), leaf(["foo", "bar-x", "bah"]));
  assertEquals(lookup(pfx, ["a.b", "foo", "bar.a.b:9090", "bah"]), leaf(["foo", "bar", "bah"]));
  assertEquals(lookup(pfx, ["a.b", "foo", "a.b"]), neg);
  assertEquals(lookup(pfx, ["a.b", "foo", "bar.c.d"]), neg);
});

Deno.test("rewritingNamers() domainToPath and domainToPathPfx reverse the domain", () => {
  assertEquals(
    lookup("io.buoyant.http.domainToPath", ["foo.buoyant.io"]),
    leaf(["io", "buoyant", "foo"]),
  );
  assertEquals(
    lookup("io.buoyant.http.domainToPathPfx", ["pfx", "foo.buoyant.io", "rest"]),
    leaf(["pfx", "io", "buoyant", "foo", "rest"]),
  );
  assertEquals(lookup("io.buoyant.http.domainToPathPfx", ["pfx"]), neg);
  assertEquals(lookup("io.buoyant.http.domainToPathPfx", []), neg);
});

Deno.test("rewritingNamers() hostportPfx and porthostPfx split host:port", () => {
  const hp = "io.buoyant.hostportPfx";
  assertEquals(lookup(hp, ["ia", "127.1:8080", "etc"]), leaf(["ia", "127.1", "8080", "etc"]));
  assertEquals(
    lookup(hp, ["ia", "google.com:8180", "etc"]),
    leaf(["ia", "google.com", "8180", "etc"]),
  );
  assertEquals(
    lookup(hp, ["ia", "google.com:http", "etc"]),
    leaf(["ia", "google.com", "http", "etc"]),
  );
  assertEquals(lookup(hp, ["ia", "google.com:8180:abcdef", "etc"]), neg);
  assertEquals(lookup(hp, ["ia", "google.com:http:abcdef", "etc"]), neg);
  assertEquals(lookup(hp, ["ia", "google.com"]), neg);
  assertEquals(
    lookup("io.buoyant.porthostPfx", ["ia", "127.1:8080", "etc"]),
    leaf(["ia", "8080", "127.1", "etc"]),
  );
  assertEquals(
    lookup("io.buoyant.porthostPfx", ["ia", "127.1:http"]),
    leaf(["ia", "http", "127.1"]),
  );
});

Deno.test("createRewritingNamer() is Neg for the empty path", () => {
  const namer = createRewritingNamer("x", (p) => p);
  assertEquals(namer.lookup([]).get(), neg);
  assertEquals(namer.lookup(["a"]).get(), leaf(["a"]));
});
