/**
 * Backpressure: 256 MB through the client in each direction keeps RSS flat (growth < 40 MB).
 * The transfers run in a child process (`_memory_probe.ts`, which explains the warm-up), so
 * test files running in parallel do not move the figure; it bounds client and server together.
 */
import { assert, assertEquals } from "../../../tests/support/assert.ts";
import type { ProbeResult } from "./_memory_probe.ts";

const TOTAL = 256 * 1024 * 1024;
const LIMIT = 40 * 1024 * 1024;

async function probe(direction: string): Promise<ProbeResult[]> {
  const script = new URL("./_memory_probe.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, direction],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert(out.success, `probe ${direction} failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text) as ProbeResult[];
}

function check(results: ProbeResult[], names: string[]): void {
  assertEquals(results.map((r) => r.name), names);
  for (const r of results) {
    assertEquals(r.bytes, TOTAL, r.name);
    const grew = r.peak - r.before;
    assert(grew < LIMIT, `${r.name}: RSS grew ${(grew / 1048576).toFixed(1)} MB`);
  }
}

Deno.test("request() downloads 256 MB with flat memory (content-length and chunked)", async () => {
  check(await probe("download"), ["download /cl", "download /chunked"]);
});

Deno.test("request() uploads 256 MB with flat memory (chunked and content-length)", async () => {
  check(await probe("upload"), ["upload chunked", "upload content-length"]);
});
