import { assert, assertEquals } from "../../tests/support/assert.ts";
import { executableMappings, pageOutExecutable } from "./page_out.ts";

Deno.test("executableMappings() keeps only the executable's lines, as address ranges", () => {
  const maps = [
    "55d0c0000000-55d0c1000000 r--p 00000000 08:01 123 /usr/bin/deno",
    "55d0c1000000-55d0c3000000 r-xp 01000000 08:01 123 /usr/bin/deno",
    "7f0000000000-7f0000100000 rw-p 00000000 00:00 0 ",
    "7f0000100000-7f0000200000 r-xp 00000000 08:01 456 /usr/lib/libc.so.6",
  ].join("\n");
  assertEquals(executableMappings(maps, "/usr/bin/deno"), [
    [0x55d0c0000000n, 0x55d0c1000000n],
    [0x55d0c1000000n, 0x55d0c3000000n],
  ]);
});

function privateCleanKiB(): number {
  const m = Deno.readTextFileSync("/proc/self/smaps_rollup").match(/^Private_Clean:\s+(\d+)/m);
  return Number(m![1]);
}

Deno.test({
  name: "pageOutExecutable() returns the executable's resident pages to the page cache",
  ignore: Deno.build.os !== "linux",
  fn: () => {
    const before = privateCleanKiB();
    const r = pageOutExecutable();
    assert(r.ok, `not done: ${!r.ok ? r.reason : ""}`);
    assert(r.mappings >= 2 && r.bytes > 10 * 1024 * 1024, JSON.stringify(r));
    const after = privateCleanKiB();
    // The test runner has just executed start-up code; at least a few MiB of it is gone.
    assert(after < before - 2048, `Private_Clean ${before} → ${after} KiB`);
  },
});
