import { assert, assertEquals } from "../../tests/support/assert.ts";
import { executableMappings } from "./page_out.ts";

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

/** Run by the test below in a child process: Private_Clean (KiB) before and after the call. */
const CHILD = `
import { pageOutExecutable } from ${JSON.stringify(new URL("./page_out.ts", import.meta.url).href)};
const kib = () => Number(
  Deno.readTextFileSync("/proc/self/smaps_rollup").match(/^Private_Clean:\\s+(\\d+)/m)[1],
);
const before = kib();
const r = pageOutExecutable();
console.log(JSON.stringify({ before, r, after: kib() }));
`;

Deno.test({
  name: "pageOutExecutable() returns the executable's resident pages to the page cache",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // A child on its own copy of the runtime, as Switchyard runs deployed: the kernel pages out
    // only pages a single process maps, and with --parallel the other test processes map the
    // runner's executable (this process's executable pages were then all shared: 420 → 420 KiB).
    const dir = await Deno.makeTempDir();
    try {
      const exe = `${dir}/deno`;
      await Deno.copyFile(Deno.execPath(), exe);
      await Deno.chmod(exe, 0o755);
      {
        using f = await Deno.open(exe, { read: true, write: true });
        await f.sync(); // clean pages: the kernel pages out only clean ones at once
      }
      await Deno.writeTextFile(`${dir}/child.ts`, CHILD);
      const out = await new Deno.Command(exe, {
        args: ["run", "-A", "--no-config", `${dir}/child.ts`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert(out.success, new TextDecoder().decode(out.stderr));
      const { before, r, after } = JSON.parse(text) as {
        before: number;
        r: { ok: boolean; reason?: string; mappings?: number; bytes?: number };
        after: number;
      };
      assert(r.ok, `not done: ${r.reason ?? ""}`);
      assert((r.mappings ?? 0) >= 2 && (r.bytes ?? 0) > 10 * 1024 * 1024, JSON.stringify(r));
      // The child has just executed start-up code; at least a few MiB of it is gone.
      assert(after < before - 2048, `Private_Clean ${before} → ${after} KiB`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
