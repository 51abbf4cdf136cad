import { leafPath, NEG } from "./_activity.ts";
import { assert, assertEquals } from "../tests/support/assert.ts";
import { createRewriteNamer } from "./rewrite.ts";

// Cases ported from L1 namer/core/src/test/.../RewritingNamerTest.scala.
const lookup = (pattern: string, name: string, path: string[]) =>
  createRewriteNamer({ pattern, name }).lookup(path).get();
const leaf = leafPath;
const neg = NEG;

Deno.test("createRewriteNamer() rewrites a matching prefix", () => {
  assertEquals(lookup("/one/two", "/success", ["one", "two", "three"]), leaf(["success"]));
  assertEquals(lookup("/one/*/three", "/success", ["one", "two", "three"]), leaf(["success"]));
});

Deno.test("createRewriteNamer() is Neg on a mismatch", () => {
  assertEquals(lookup("/one/*/four", "/success", ["one", "two", "three"]), neg);
  assertEquals(lookup("/{foo}/*/four", "/success/{foo}", ["one", "two", "three"]), neg);
});

Deno.test("createRewriteNamer() substitutes captures into the name", () => {
  assertEquals(
    lookup("/{foo}/*/three", "/success/{foo}", ["one", "two", "three"]),
    leaf(["success", "one"]),
  );
  assertEquals(
    lookup("/{svc}.{ns}", "/#/io.l5d.k8s/{ns}/http/{svc}", ["web.prod"]),
    leaf(["#", "io.l5d.k8s", "prod", "http", "web"]),
  );
});

Deno.test("createRewriteNamer() fails when the result is not a path", () => {
  const r = lookup("/{a}", "/x/{b}", ["one"]);
  assert(r.state === "failed");
});
