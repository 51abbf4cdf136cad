/**
 * `switchyard top [--admin HOST:PORT] [--interval 1s] [--once]`: a live view of a running
 * instance — per service and per client: requests per second, success rate, p50/p99 latency,
 * pending and total requests — read from its `/admin/metrics.json?tree=1` (RPS and success rate
 * come from counter deltas between two reads). On a terminal the screen is redrawn every
 * interval until Ctrl-C; otherwise frames are printed one after another. `--once` reads twice,
 * one interval apart, prints one frame and exits.
 *
 * Exit codes: 0 done, 1 the admin server cannot be reached, 2 bad input.
 *
 * @example
 * ```ts ignore
 * import { runTop } from "./top_command.ts";
 * Deno.exitCode = await runTop({ admin: "127.0.0.1:9990", intervalMs: 1000, once: true }, terminalIo());
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { CliError, type Io, report, style, terminalIo } from "./_term.ts";
import { rates, readSample, renderTop, type Sample } from "./top_view.ts";

/** Options of {@linkcode runTop}. */
export interface TopOptions {
  /** `host:port` or a URL of the admin server. */
  readonly admin: string;
  readonly intervalMs: number;
  readonly once: boolean;
  /** Stop after this many frames (tests); unbounded by default. */
  readonly frames?: number;
}

/**
 * Parse an interval: `1s`, `500ms`, `2m`, or a plain number of seconds.
 *
 * @param text The option value.
 * @returns Milliseconds.
 * @throws {CliError} for anything else.
 * @example
 * ```ts
 * import { parseInterval } from "./top_command.ts";
 * parseInterval("250ms"); // 250
 * ```
 */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "m" ? 60_000 : 1000) : NaN;
  if (!(ms >= 100)) {
    throw new CliError(
      `bad --interval ${JSON.stringify(text)}`,
      "use e.g. 1s, 500ms or 2 (≥ 100ms)",
    );
  }
  return ms;
}

function metricsUrl(admin: string): URL {
  const base = /^https?:\/\//.test(admin) ? admin : `http://${admin}`;
  try {
    return new URL("/admin/metrics.json?tree=1", base);
  } catch {
    throw new CliError(
      `bad --admin ${JSON.stringify(admin)}`,
      "use HOST:PORT, e.g. 127.0.0.1:9990",
    );
  }
}

async function read(url: URL): Promise<Sample> {
  let body: unknown;
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (!r.ok) {
      await r.body?.cancel();
      throw new Error(`HTTP ${r.status}`);
    }
    body = await r.json();
  } catch (e: unknown) {
    throw new CliError(
      `cannot read ${url.href}: ${(e as Error).message}`,
      "start switchyard (switchyard serve CONFIG) or pass --admin HOST:PORT of a running instance",
      1,
    );
  }
  return readSample(body, performance.now());
}

/**
 * Run `switchyard top`.
 *
 * @param opts Admin address, interval, once.
 * @param io Output.
 * @returns The exit code.
 */
export async function runTop(opts: TopOptions, io: Io): Promise<number> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    stopped = true;
    wake?.();
  };
  const live = !opts.once;
  if (live) Deno.addSignalListener("SIGINT", onSignal);
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });
  try {
    const url = metricsUrl(opts.admin);
    const s = style(io.color);
    let prev = await read(url);
    const every = opts.intervalMs >= 1000 ? `${opts.intervalMs / 1000}s` : `${opts.intervalMs}ms`;
    for (let frame = 0; !stopped && frame < (opts.once ? 1 : opts.frames ?? Infinity); frame++) {
      await sleep(opts.intervalMs);
      if (stopped) break;
      const cur = await read(url);
      const title = `switchyard top — ${url.host} — every ${every} — ${
        new Date().toISOString().slice(11, 19)
      }`;
      const lines = renderTop(rates(prev, cur), { title, style: s });
      if (live && io.color) io.out("\x1b[H\x1b[2J" + lines.join("\n"));
      else {
        if (frame > 0) io.out("");
        for (const l of lines) io.out(l);
      }
      prev = cur;
    }
    return 0;
  } catch (e: unknown) {
    return report(io, e);
  } finally {
    if (live) Deno.removeSignalListener("SIGINT", onSignal);
  }
}

/**
 * Add `top` to the CLI.
 *
 * @param program The root command.
 * @param io Output (default: the terminal).
 * @returns The subcommand.
 */
export function addTopCommand(program: Command, io: () => Io = terminalIo): Command {
  return program.command("top")
    .description("live per-service success rate, RPS and latency of a running instance")
    .option("--admin <host:port>", "admin server of the running instance", "127.0.0.1:9990")
    .option("--interval <duration>", "refresh interval (e.g. 1s, 500ms)", "1s")
    .option("--once", "print one frame (two reads, one interval apart) and exit")
    .addHelpText(
      "after",
      `
Examples:
  switchyard top
  switchyard top --admin 127.0.0.1:9991 --interval 2s
  switchyard top --once > snapshot.txt

Columns: RPS and SUCCESS are over the last interval (counter deltas); P50/P99 come from the
latency histogram's current window. Exit status: 0 done, 1 admin unreachable, 2 bad input.
`,
    )
    .action(async (o: Record<string, string | boolean>) => {
      const io2 = io();
      let intervalMs: number;
      try {
        intervalMs = parseInterval(String(o.interval));
      } catch (e: unknown) {
        Deno.exitCode = report(io2, e);
        return;
      }
      Deno.exitCode = await runTop(
        { admin: String(o.admin), intervalMs, once: o.once === true },
        io2,
      );
    });
}
