/**
 * Gives the executable's start-up-only pages back to the page cache once the proxy is idle.
 *
 * A Deno process maps its ~100 MB executable and touches, while it starts, much code and data
 * that serving never uses again: the TypeScript transpiler and module loader, the V8 snapshot it
 * deserializes from, the CLI. Those pages stay in the process's resident set (as clean file pages)
 * until memory pressure. Measured on the bench's plain config: 38–40 MiB of the executable
 * resident after start, 42–44 MiB after a c=64 load; after `madvise(MADV_PAGEOUT)` on its
 * mappings once start-up is done, 12–13 MiB, and 24 MiB after the same load (what serving
 * really uses faults back in from the page cache, a minor fault per page). Idle RSS 62–65 →
 * 37–38 MiB, peak RSS under that load 101–115 → 95–99 MiB (issue 6).
 *
 * The pages are clean copies of the file: nothing is lost, the kernel keeps them in its page
 * cache while it has room, and a page needed again is mapped back on its next use. The call is
 * synchronous and takes ~50–60 ms here (it blocks the event loop once, after the first idle
 * second; a request arriving then waits that long).
 *
 * It needs Linux ≥ 5.4 (`MADV_PAGEOUT`), glibc's `libc.so.6` and the `ffi` permission (granted
 * by `-A`, as every documented way of running Switchyard does); it checks the permission without
 * prompting. Anything missing, it does nothing and says why.
 *
 * @example
 * ```ts ignore
 * const r = pageOutExecutable();
 * if (r.ok) console.log(`${r.mappings} mappings advised`);
 * ```
 *
 * @module
 */

/** `MADV_PAGEOUT` (asm-generic, the same on x86-64 and arm64). */
const MADV_PAGEOUT = 21;

/** What {@link pageOutExecutable} did. */
export type PageOutResult =
  | { readonly ok: true; readonly mappings: number; readonly bytes: number }
  | { readonly ok: false; readonly reason: string };

/** The executable's mappings in `/proc/self/maps` text: [start, end) addresses. */
export function executableMappings(maps: string, exe: string): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  for (const line of maps.split("\n")) {
    const m = line.match(/^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s+(.*)$/);
    if (m === null || m[3] !== exe) continue;
    out.push([BigInt("0x" + m[1]), BigInt("0x" + m[2])]);
  }
  return out;
}

/**
 * Advise the kernel to page out every mapping of the running executable (`MADV_PAGEOUT`).
 *
 * @returns how many mappings and bytes were advised, or why nothing was done
 */
export function pageOutExecutable(): PageOutResult {
  if (Deno.build.os !== "linux") return { ok: false, reason: `not on Linux (${Deno.build.os})` };
  let granted: boolean;
  try {
    granted = Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    granted = false;
  }
  if (!granted) return { ok: false, reason: "no ffi permission" };
  let lib: Deno.DynamicLibrary<{
    madvise: { parameters: ["pointer", "usize", "i32"]; result: "i32" };
    __errno_location: { parameters: []; result: "pointer" };
  }>;
  try {
    lib = Deno.dlopen("libc.so.6", {
      madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" },
      __errno_location: { parameters: [], result: "pointer" },
    });
  } catch (e: unknown) {
    return { ok: false, reason: `libc.so.6: ${e instanceof Error ? e.message : String(e)}` };
  }
  try {
    const exe = Deno.realPathSync(Deno.execPath());
    // A transient refusal (EAGAIN; a mapping split or moved between reading the maps and the
    // call) is tried again with a fresh read of the maps, twice at most.
    let errno = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const maps = executableMappings(Deno.readTextFileSync("/proc/self/maps"), exe);
      let mappings = 0, bytes = 0;
      errno = 0;
      for (const [a, b] of maps) {
        if (lib.symbols.madvise(Deno.UnsafePointer.create(a), b - a, MADV_PAGEOUT) !== 0) {
          const at = lib.symbols.__errno_location();
          errno = at === null ? -1 : new Deno.UnsafePointerView(at).getInt32();
          break;
        }
        mappings++;
        bytes += Number(b - a);
      }
      if (errno !== 0) continue;
      return mappings > 0
        ? { ok: true, mappings, bytes }
        : { ok: false, reason: `no mapping of ${exe}` };
    }
    return {
      ok: false,
      reason: `madvise(MADV_PAGEOUT) refused, errno ${errno}` +
        (errno === 22 ? " (EINVAL: Linux < 5.4?)" : ""),
    };
  } catch (e: unknown) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  } finally {
    lib.close();
  }
}
