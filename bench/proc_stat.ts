/**
 * Readings from `/proc`: CPU time (utime + stime, in clock ticks) and RSS of a process and all its
 * descendants (nginx master + worker, a shell + its child), the whole machine's busy ticks, and an
 * RSS sampler for peak memory during a run.
 *
 * @module
 */

/** Clock ticks per second (`getconf CLK_TCK`; 100 on Linux unless told otherwise). */
export async function clockTicks(): Promise<number> {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** The fields after `(comm)` of `/proc/<pid>/stat`, or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * utime + stime of one process, in ticks (0 when gone). With `children`, also cutime + cstime
 * (CPU of children it has waited for).
 */
export function processTicks(pid: number, children = false): number {
  const f = statFields(pid);
  if (!f) return 0;
  // fields from `state` (index 0): utime is field 14 of stat → index 11 here
  const t = Number(f[11]) + Number(f[12]);
  return children ? t + Number(f[13]) + Number(f[14]) : t;
}

/** PIDs of `pid` and every descendant (walks `/proc/<pid>/task/<tid>/children`). */
export function treePids(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    let tasks: Iterable<Deno.DirEntry>;
    try {
      tasks = Deno.readDirSync(`/proc/${p}/task`);
    } catch {
      continue; // gone
    }
    out.push(p);
    for (const t of tasks) {
      try {
        const kids = Deno.readTextFileSync(`/proc/${p}/task/${t.name}/children`).trim();
        if (kids) { for (const k of kids.split(/\s+/)) queue.push(Number(k)); }
      } catch {
        // task ended
      }
    }
  }
  return out;
}

/** Sum of utime + stime over the given PIDs, in ticks. */
export function ticksOf(pids: readonly number[]): number {
  let sum = 0;
  for (const p of pids) sum += processTicks(p);
  return sum;
}

/** Sum of stime (CPU time in the kernel) over the given PIDs, in ticks (0 for a gone one). */
export function sysTicksOf(pids: readonly number[]): number {
  let sum = 0;
  for (const p of pids) sum += Number(statFields(p)?.[12] ?? 0);
  return sum;
}

/** VmRSS of one process in KiB (0 when gone). */
export function rssKib(pid: number): number {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = /VmRSS:\s+(\d+) kB/.exec(s);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Sum of VmRSS over `pid` and its descendants, KiB. */
export function treeRssKib(pid: number): number {
  let sum = 0;
  for (const p of treePids(pid)) sum += rssKib(p);
  return sum;
}

/** Machine-wide CPU ticks from the first line of `/proc/stat`. */
export interface SystemTicks {
  /** user + nice + system (time charged to processes) */
  readonly busy: number;
  /** irq + softirq (with IRQ time accounting, not charged to any process) */
  readonly irq: number;
  readonly steal: number;
  readonly total: number;
}

/** Read `/proc/stat`. */
export function systemTicks(): SystemTicks {
  const line = Deno.readTextFileSync("/proc/stat").split("\n", 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  return {
    busy: user + nice + system,
    irq: irq + softirq,
    steal,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}

/** A running peak-RSS sampler. */
export interface RssSampler {
  /** Stop sampling; returns the peak in KiB (0 if nothing was sampled). */
  stop(): number;
  /** Samples so far (KiB). */
  readonly samples: readonly number[];
}

/**
 * Sample the RSS of a process tree every `everyMs` until stopped.
 *
 * @param pid root of the tree
 * @param everyMs sampling period
 * @returns the sampler (one sample is taken at once)
 */
export function sampleRss(pid: number, everyMs = 200): RssSampler {
  const samples: number[] = [];
  let peak = 0;
  const take = () => {
    const v = treeRssKib(pid);
    samples.push(v);
    if (v > peak) peak = v;
  };
  take();
  const id = setInterval(take, everyMs);
  return {
    samples,
    stop() {
      clearInterval(id);
      take();
      return peak;
    },
  };
}
