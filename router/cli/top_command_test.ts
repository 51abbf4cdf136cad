import { assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { parseInterval, runTop } from "./top_command.ts";
import { captureIo } from "./_io_test_util.ts";

Deno.test("parseInterval() reads seconds, milliseconds and minutes", () => {
  assertEquals(parseInterval("1s"), 1000);
  assertEquals(parseInterval("250ms"), 250);
  assertEquals(parseInterval("2"), 2000);
  assertEquals(parseInterval("0.5m"), 30_000);
  for (const bad of ["", "fast", "10ms", "-1s"]) {
    let threw = false;
    try {
      parseInterval(bad);
    } catch {
      threw = true;
    }
    assertEquals(threw, true, bad);
  }
});

Deno.test("runTop() exits 1 with a fix when the admin server cannot be reached", async () => {
  // A port nothing listens on: bind one, note it, close it.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const io = captureIo();
  assertEquals(await runTop({ admin: `127.0.0.1:${port}`, intervalMs: 100, once: true }, io), 1);
  assertStringIncludes(
    io.errors[0]!,
    `error: cannot read http://127.0.0.1:${port}/admin/metrics.json?tree=1`,
  );
  assertStringIncludes(io.errors[1]!, "fix: start switchyard");
});

Deno.test("runTop() rejects a bad --admin with exit 2", async () => {
  const io = captureIo();
  assertEquals(await runTop({ admin: "http://[", intervalMs: 100, once: true }, io), 2);
  assertStringIncludes(io.errors[0]!, "bad --admin");
});
