/**
 * Every process the benchmark starts — origins, proxies, wrk, helper servers — goes through a
 * {@linkcode Procs}: each one runs in its own session and process group (`detached`, i.e.
 * `setsid`), optionally pinned to CPUs with `taskset`, with stdout/stderr in a log file. `stopAll()`
 * signals every group (SIGTERM, then SIGKILL after a bounded grace period); the CLI calls it on
 * normal exit, on error and on SIGINT/SIGTERM. Nothing is ever killed by name.
 *
 * @module
 */

/** How to start one process. */
export interface SpawnOptions {
  /** Executable and arguments. */
  readonly cmd: readonly string[];
  /** CPU list for `taskset -c` (e.g. `"0"`); omitted = no pinning. */
  readonly cpus?: string | undefined;
  /** Working directory. */
  readonly cwd?: string | undefined;
  /** Extra environment. */
  readonly env?: Record<string, string> | undefined;
  /** Where stdout+stderr go (default `/dev/null`). */
  readonly logFile?: string | undefined;
}

/** A process started by {@linkcode Procs}. */
export interface Proc {
  readonly name: string;
  /** PID, also the process-group id. */
  readonly pid: number;
  readonly logFile: string | undefined;
  /** Resolves when it exits. */
  readonly status: Promise<Deno.CommandStatus>;
  /** True until it exits. */
  alive(): boolean;
  /** SIGTERM the group, SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Owner of every process the benchmark starts. */
export interface Procs {
  /** Start a process in its own process group. */
  spawn(name: string, opts: SpawnOptions): Proc;
  /** Processes still running. */
  running(): readonly Proc[];
  /** PIDs of every process ever started (for leak checks). */
  started(): readonly number[];
  /** Stop every process still running (bounded: SIGKILL after the grace period). */
  stopAll(graceMs?: number): Promise<void>;
}

function killGroup(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(-pid, sig);
  } catch {
    try {
      Deno.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Create a process owner.
 *
 * @returns an empty {@linkcode Procs}
 * @example
 * ```ts
 * import { createProcs } from "./procs.ts";
 * const procs = createProcs();
 * const p = procs.spawn("sleeper", { cmd: ["sleep", "10"] });
 * await procs.stopAll();
 * ```
 */
export function createProcs(): Procs {
  const live = new Set<Proc>();
  const pids: number[] = [];

  function spawn(name: string, opts: SpawnOptions): Proc {
    const [exe, ...rest] = opts.cmd;
    if (exe === undefined) throw new Error(`spawn ${name}: empty command`);
    // `sh -c 'exec …'` keeps the PID while redirecting output to the log file.
    const log = opts.logFile ?? "/dev/null";
    let argv = ["sh", "-c", 'log=$1; shift; exec "$@" >"$log" 2>&1', "sh", log, exe, ...rest];
    if (opts.cpus !== undefined) argv = ["taskset", "-c", opts.cpus, ...argv];
    const child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.env !== undefined ? { env: opts.env } : {}),
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn();
    let exited = false;
    const status = child.status.finally(() => {
      exited = true;
      live.delete(proc);
    });
    const proc: Proc = {
      name,
      pid: child.pid,
      logFile: opts.logFile,
      status,
      alive: () => !exited,
      async stop(graceMs = 3000) {
        if (exited) return;
        killGroup(child.pid, "SIGTERM");
        let t: ReturnType<typeof setTimeout> | undefined;
        const done = await Promise.race([
          status.then(() => true),
          new Promise<boolean>((r) => t = setTimeout(() => r(false), graceMs)),
        ]);
        clearTimeout(t);
        if (!done) {
          killGroup(child.pid, "SIGKILL");
          await Promise.race([status, delay(2000)]);
        } else {
          // the leader is gone; make sure no straggler of its group survives
          killGroup(child.pid, "SIGKILL");
        }
      },
    };
    live.add(proc);
    pids.push(child.pid);
    return proc;
  }

  return {
    spawn,
    running: () => [...live],
    started: () => [...pids],
    async stopAll(graceMs = 3000) {
      await Promise.all([...live].map((p) => p.stop(graceMs)));
    },
  };
}

/**
 * Wait until `check` resolves true, polling every `everyMs`, for at most `timeoutMs`.
 *
 * @returns true when the check passed in time
 */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    try {
      if (await check()) return true;
    } catch {
      // not yet
    }
    await delay(everyMs);
  }
  return false;
}

/** Sleep (bounded by the caller). */
export { delay };
