/**
 * Start the real Switchyard process (`deno run -A main.ts … serve CONFIG`) for black-box tests,
 * with every listener on port 0 and the bound ports read from its JSON log lines.
 *
 * @module
 */
import { runFlags } from "../../router/v8_flags.ts";

/** The repo root. */
export const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
/** main.ts. */
export const MAIN = ROOT + "main.ts";

/** A running Switchyard process. */
export interface Running {
  readonly pid: number;
  /** router label → listener ports, in config order. */
  readonly ports: Record<string, number[]>;
  readonly adminPort: number;
  /** Every log line so far (JSON). */
  readonly logs: string[];
  readonly configPath: string;
  /** `http://127.0.0.1:<admin>`. */
  readonly admin: string;
  /** The first listener of a router, `127.0.0.1:<port>` (for curl -x). */
  proxy(label?: string): string;
  /** RSS of the process in bytes (from /proc). */
  rss(): number;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number>;
  /** Resolves with the exit status when the process ends. */
  readonly exited: Promise<Deno.CommandStatus>;
}

/** Options. */
export interface StartOptions {
  /** Extra CLI args before `serve`. */
  readonly args?: readonly string[];
  /** Wait for this many listeners (default: as many as found before the admin line). */
  readonly timeoutMs?: number;
  /** Environment. */
  readonly env?: Record<string, string>;
  /** Use this file path instead of a temp file (for reload tests). */
  readonly configPath?: string;
  /** Run this Deno executable instead of the test runner's (e.g. a private copy of it). */
  readonly exe?: string;
  /**
   * Start it with this many file descriptors at most (soft and hard `RLIMIT_NOFILE`, through
   * `sh -c 'ulimit -n N; exec …'`, so the limit cannot be raised).
   */
  readonly fdLimit?: number;
}

/**
 * Write `yaml` to a temp file and start Switchyard on it. Resolves when the admin server is up.
 *
 * @throws Error with the process's output if it exits or does not start in time.
 */
export async function startSwitchyard(yaml: string, opts: StartOptions = {}): Promise<Running> {
  const configPath = opts.configPath ?? (await Deno.makeTempFile({ suffix: ".yaml" }));
  await Deno.writeTextFile(configPath, yaml);
  const exe = opts.exe ?? Deno.execPath();
  const limited = opts.fdLimit === undefined
    ? []
    : ["-c", `ulimit -n ${opts.fdLimit} && exec "$@"`, "sh", exe];
  const cmd = new Deno.Command(opts.fdLimit === undefined ? exe : "sh", {
    args: [
      ...limited,
      "run",
      "-A",
      ...runFlags(), // the flags Switchyard ships with (router/v8_flags.ts)
      MAIN,
      "--log-format",
      "json",
      "--log-level",
      "debug",
      ...(opts.args ?? []),
      "serve",
      configPath,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1", ...(opts.env ?? {}) },
  });
  const child = cmd.spawn();
  const logs: string[] = [];
  const ports: Record<string, number[]> = {};
  let adminPort = 0;
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        logs.push(line);
        try {
          const rec = JSON.parse(line);
          if (rec.msg === "router listening") (ports[rec.router] ??= []).push(rec.port);
          if (rec.msg === "admin listening") {
            adminPort = rec.port;
            ready();
          }
        } catch {
          // not JSON: keep as is
        }
      }
    }
    if (buf) logs.push(buf);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then(async (s) => {
    await pumps;
    return s;
  });
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    readyP.then(() => "ready" as const),
    exited.then(() => "exited" as const),
    new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    if (outcome === "timeout") child.kill("SIGKILL");
    await exited;
    throw new Error(`switchyard did not start (${outcome}):\n${logs.join("\n")}`);
  }
  // A process that fails before its test stops it says so, with its last lines, where the test's
  // own failure (a refused connection, say) would not tell why. (A clean exit, as after an admin
  // shutdown, is what the test asked for.)
  let stopping = false;
  exited.then((st) => {
    if (stopping || (st.code === 0 && st.signal === null)) return;
    console.error(
      `switchyard (pid ${child.pid}) failed before its test stopped it (code ${st.code}, ` +
        `signal ${st.signal}); its last lines:\n${logs.slice(-20).join("\n")}`,
    );
  });
  return {
    pid: child.pid,
    ports,
    adminPort,
    logs,
    configPath,
    admin: `http://127.0.0.1:${adminPort}`,
    proxy(label?: string) {
      const l = label ?? Object.keys(ports)[0]!;
      return `127.0.0.1:${ports[l]![0]}`;
    },
    rss() {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      const m = /VmRSS:\s+(\d+) kB/.exec(status);
      return m ? Number(m[1]) * 1024 : 0;
    },
    async stop() {
      stopping = true;
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      let t: ReturnType<typeof setTimeout> | undefined;
      const s = await Promise.race([
        exited,
        new Promise<null>((r) => {
          t = setTimeout(() => r(null), 10_000);
        }),
      ]);
      clearTimeout(t);
      if (s === null) {
        child.kill("SIGKILL");
        return (await exited).code;
      }
      return s.code;
    },
    exited,
  };
}

/**
 * A router whose names all bind to a closed port (`routers:` YAML): for tests of the admin server
 * alone, appended after their own `admin:` block.
 */
export const IDLE_ROUTER = `routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
`;

/** What a CLI run printed. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `main.ts ARGS…` (a one-shot command such as `check` or `dtab`) to its end, at most 60 s. */
export async function runCli(...args: string[]): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A running Switchyard's `/admin/metrics.json` (flat: stat name → value). */
export async function adminMetrics(admin: string): Promise<Record<string, number>> {
  return await (await fetch(`${admin}/admin/metrics.json`)).json();
}

/**
 * The config of the resilience tests: an `outgoing` router over the `io.l5d.fs` namer in `dir`,
 * admin and listener on free ports, with the given `service:` and `client:` blocks (their lines
 * indented four spaces).
 */
export function outgoingFsConfig(
  dir: string,
  blocks: { service?: string; client?: string },
): string {
  let yaml = `
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: outgoing
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`;
  if (blocks.service !== undefined) yaml += `  service:\n${blocks.service}\n`;
  if (blocks.client !== undefined) yaml += `  client:\n${blocks.client}\n`;
  return yaml;
}
