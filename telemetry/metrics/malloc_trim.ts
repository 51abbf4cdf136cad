/**
 * Gives the C heap's free memory back to the OS (glibc's `malloc_trim(0)`).
 *
 * V8's background threads (the optimizing compiler, concurrent marking) allocate their working
 * memory with `malloc`, and glibc keeps what they free in their threads' arenas: it stays in the
 * process's resident set, at the peak those threads ever used, until something asks glibc for
 * it. Measured on the bench's configs after 30 s of c=16 load and 3 s of rest: one service,
 * 11.7 MiB of such an arena resident (0.7 MiB after a trim), anonymous RSS 54.8 → 43.9 MiB;
 * 1000 services × 10 endpoints, 17.1 MiB (1.0 after), 95.1 → 79.4 MiB (issue 6). A trim takes
 * 0.1–0.4 ms here (glibc walks its arenas' free lists and `madvise(MADV_DONTNEED)`s their free
 * pages); memory a thread later needs again faults back in, a minor fault per page. Unlike a
 * V8 collection (heap_trim.ts) it moves no object and discards no compiled code, so it can run
 * under traffic too.
 *
 * {@link startMallocTrimmer} checks once per `intervalMs`: it trims once after start-up, when the
 * process goes quiet after traffic (the first check that sees no new request), and, while
 * traffic goes on, every `busyEveryMs`. An idle process is not trimmed again.
 *
 * It needs glibc's `libc.so.6` and the `ffi` permission (granted by `-A`, as every documented
 * way of running Switchyard does; checked without prompting). Anything missing (macOS, musl), it
 * does nothing.
 *
 * @module
 */

/**
 * glibc's `malloc_trim(0)`, or undefined when it cannot be had (not Linux, no `ffi` permission,
 * no glibc).
 *
 * @returns the trim: true when memory was released
 */
export function mallocTrim(): (() => boolean) | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return undefined;
    const lib = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32" },
    });
    // Kept open for the life of the process: the trimmer calls it again and again.
    return () => lib.symbols.malloc_trim(0n) === 1;
  } catch {
    return undefined;
  }
}

/** Options of {@link startMallocTrimmer}. */
export interface MallocTrimOptions {
  /** A count that changes whenever a request starts (e.g. requests accepted so far). */
  readonly activity: () => number;
  /** Check period in ms (default 1000). */
  readonly intervalMs?: number;
  /** While requests keep starting, a trim at most this often, in ms (default 10 000). */
  readonly busyEveryMs?: number;
  /** The trim (default {@link mallocTrim}'s); for tests. */
  readonly trim?: () => unknown;
  /** The clock the busy period is measured with (default `performance.now`); for tests. */
  readonly now?: () => number;
}

/** A running malloc trimmer. */
export interface MallocTrimmer {
  /** Trims so far. */
  readonly trims: number;
  /** Runs one check now (what the timer does). */
  check(): void;
  /** Stops the timer. */
  stop(): void;
}

/**
 * Starts the malloc trimmer (its timer does not keep the process alive); a no-op trimmer when
 * there is no `malloc_trim` (see the module doc).
 *
 * @param options Activity source, period.
 * @returns The trimmer; `stop()` it on shutdown.
 * @example
 * ```ts
 * import { startMallocTrimmer } from "./malloc_trim.ts";
 * let requests = 0;
 * const trimmer = startMallocTrimmer({ activity: () => requests });
 * requests++; // a request started
 * trimmer.stop();
 * ```
 */
export function startMallocTrimmer(options: MallocTrimOptions): MallocTrimmer {
  const trim = options.trim ?? mallocTrim();
  const now = options.now ?? (() => performance.now());
  const busyEveryMs = options.busyEveryMs ?? 10_000;
  let trims = 0;
  let seen = options.activity();
  /** Whether requests started since the last trim (or start-up is not trimmed yet). */
  let dirty = true;
  let trimmedAt = -Infinity;
  const run = () => {
    trim!();
    trims++;
    trimmedAt = now();
    dirty = false;
  };
  const check = () => {
    if (trim === undefined) return;
    const a = options.activity();
    const busy = a !== seen;
    seen = a;
    if (busy) {
      dirty = true;
      if (now() - trimmedAt >= busyEveryMs) run();
    } else if (dirty) run();
  };
  const timer = setInterval(check, options.intervalMs ?? 1000);
  Deno.unrefTimer(timer);
  return {
    get trims() {
      return trims;
    },
    check,
    stop: () => clearInterval(timer),
  };
}
