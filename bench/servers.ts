/**
 * Starting the servers of a benchmark run: the nginx origin, the nginx/HAProxy/Caddy anchors and
 * Switchyard itself (the real `main.ts serve`). Each runs in its own process group through
 * {@linkcode Procs}, pinned to its CPU set, with its config, pid and logs in the run directory;
 * each start waits (bounded) until the port answers 200.
 *
 * @module
 */
import { runFlags, V8_FLAGS } from "../router/v8_flags.ts";
import { caddyfile, haproxyCfg, type HostPort, nginxProxyConf, originNginxConf } from "./conf.ts";
import type { RetryConf } from "./conf.ts";
import { type Proc, type Procs, waitUntil } from "./procs.ts";
import { treePids, treeRssKib } from "./proc_stat.ts";
import { probeOnce } from "./http_probe.ts";

/** The repository root (where `main.ts` is). */
export const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** The 12-byte body of `GET /`. */
export const SMALL_BODY = "Hello world\n";
/** Size of `GET /16k`. */
export const BIG_BODY_BYTES = 16384;

/** What every start helper needs. */
export interface RunEnv {
  readonly procs: Procs;
  /** Temp run directory (configs, pids, logs). */
  readonly dir: string;
  /** V8 flags for Switchyard (default: router/v8_flags.ts's, what `deno task serve` uses). */
  readonly v8Flags?: readonly string[];
}

/** A started server. */
export interface Server {
  readonly name: string;
  /** The port clients use. */
  readonly port: number;
  readonly proc: Proc;
  /** PIDs of the process tree now (master + workers). */
  pids(): number[];
  /** RSS of the tree, KiB. */
  rssKib(): number;
  /** Stop the process group (bounded). */
  stop(): Promise<void>;
}

/**
 * A free loopback TCP port (bind port 0, read it, close).
 *
 * @returns the port number
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Create the run directory: world-readable (nginx workers run as `nobody`), with `www/16k.bin`.
 *
 * @returns its path
 */
export async function prepareRunDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-bench-" });
  await Deno.chmod(dir, 0o755);
  await Deno.mkdir(`${dir}/www`, { mode: 0o755 });
  const big = new Uint8Array(BIG_BODY_BYTES);
  for (let i = 0; i < big.length; i++) big[i] = 97 + (i * 7919 % 26);
  await Deno.writeFile(`${dir}/www/16k.bin`, big, { mode: 0o644 });
  return dir;
}

function server(name: string, port: number, proc: Proc): Server {
  return {
    name,
    port,
    proc,
    pids: () => treePids(proc.pid),
    rssKib: () => treeRssKib(proc.pid),
    stop: () => proc.stop(),
  };
}

async function tail(file: string | undefined, lines = 8): Promise<string> {
  if (!file) return "";
  try {
    return (await Deno.readTextFile(file)).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * Wait until `GET /` with this Host answers 200, or the process dies, or time runs out.
 *
 * @throws Error with the log tail when it does not come up
 */
export async function waitReady(s: Server, host: string, timeoutMs: number): Promise<void> {
  const ok = await waitUntil(
    async () => {
      if (!s.proc.alive()) return true;
      const r = await probeOnce(s.port, "/", { host, timeoutMs: 1000 });
      return r.status === 200;
    },
    timeoutMs,
    100,
  );
  if (!ok || !s.proc.alive()) {
    const why = s.proc.alive() ? `did not answer on ${s.port} in ${timeoutMs} ms` : "exited";
    await s.stop();
    throw new Error(`${s.name} ${why}:\n${await tail(s.proc.logFile)}`);
  }
}

/**
 * Check a target serves the expected content: `/` exactly `Hello world\n`, `/16k` 16384 bytes.
 *
 * @returns an error text, or undefined when the content is right
 */
export async function checkContent(port: number, host: string): Promise<string | undefined> {
  try {
    const small = await probeOnce(port, "/", { host });
    const text = new TextDecoder().decode(small.body);
    if (small.status !== 200 || text !== SMALL_BODY) {
      return `GET / → ${small.status} ${JSON.stringify(text.slice(0, 80))}`;
    }
    const big = await probeOnce(port, "/16k", { host });
    if (big.status !== 200 || big.body.length !== BIG_BODY_BYTES) {
      return `GET /16k → ${big.status}, ${big.body.length} bytes`;
    }
    return undefined;
  } catch (e: unknown) {
    return e instanceof Error ? e.message : String(e);
  }
}

async function startNginx(
  env: RunEnv,
  name: string,
  port: number,
  conf: string,
  cpus: string | undefined,
): Promise<Server> {
  await Deno.mkdir(`${env.dir}/${name}-tmp`, { recursive: true });
  const file = `${env.dir}/${name}.conf`;
  await Deno.writeTextFile(file, conf);
  const proc = env.procs.spawn(name, {
    cmd: ["nginx", "-p", `${env.dir}/`, "-e", `${env.dir}/${name}.error.log`, "-c", file],
    cpus,
    logFile: `${env.dir}/${name}.log`,
  });
  return server(name, port, proc);
}

/**
 * Start the nginx origin (one worker).
 *
 * @returns the server, ready
 */
export async function startOrigin(env: RunEnv, o: {
  name: string;
  port: number;
  cpus?: string | undefined;
  /** Also listen on these addresses (e.g. `127.0.0.2:PORT`). */
  extraListens?: readonly HostPort[];
  /** Listen addresses answering 500. */
  errorListens?: readonly HostPort[];
}): Promise<Server> {
  const conf = originNginxConf({
    dir: env.dir,
    name: o.name,
    listens: [`127.0.0.1:${o.port}`, ...(o.extraListens ?? [])],
    errorListens: o.errorListens ?? [],
  });
  const s = await startNginx(env, o.name, o.port, conf, o.cpus);
  await waitReady(s, "origin", 15_000);
  return s;
}

/**
 * Start the nginx `proxy_pass` anchor.
 *
 * @returns the server, ready
 */
export async function startNginxProxy(env: RunEnv, o: {
  name: string;
  port: number;
  upstreams: readonly HostPort[];
  cpus?: string | undefined;
  retry?: RetryConf | undefined;
}): Promise<Server> {
  const conf = nginxProxyConf({ dir: env.dir, ...o });
  const s = await startNginx(env, o.name, o.port, conf, o.cpus);
  await waitReady(s, "origin", 15_000);
  return s;
}

/**
 * Start the HAProxy anchor (`haproxy -db`, one thread).
 *
 * @returns the server, ready
 */
export async function startHaproxy(env: RunEnv, o: {
  name: string;
  port: number;
  upstreams: readonly HostPort[];
  cpus?: string | undefined;
  retry?: RetryConf | undefined;
}): Promise<Server> {
  const file = `${env.dir}/${o.name}.cfg`;
  await Deno.writeTextFile(file, haproxyCfg(o));
  const proc = env.procs.spawn(o.name, {
    cmd: ["haproxy", "-db", "-f", file],
    cpus: o.cpus,
    logFile: `${env.dir}/${o.name}.log`,
  });
  const s = server(o.name, o.port, proc);
  await waitReady(s, "origin", 15_000);
  return s;
}

/**
 * Whether an executable is on PATH.
 *
 * @returns true when `command -v name` finds it
 */
export async function haveCommand(name: string): Promise<boolean> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `command -v "$1" >/dev/null`, "sh", name],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success;
}

/**
 * Start the Caddy anchor (`GOMAXPROCS=1`).
 *
 * @returns the server, ready
 */
export async function startCaddy(env: RunEnv, o: {
  name: string;
  port: number;
  upstream: HostPort;
  cpus?: string | undefined;
}): Promise<Server> {
  const file = `${env.dir}/${o.name}.Caddyfile`;
  await Deno.writeTextFile(file, caddyfile(o));
  const proc = env.procs.spawn(o.name, {
    cmd: ["caddy", "run", "--config", file, "--adapter", "caddyfile"],
    cpus: o.cpus,
    env: { GOMAXPROCS: "1", HOME: env.dir, XDG_DATA_HOME: env.dir, XDG_CONFIG_HOME: env.dir },
    logFile: `${env.dir}/${o.name}.log`,
  });
  const s = server(o.name, o.port, proc);
  await waitReady(s, "origin", 20_000);
  return s;
}

/**
 * The Deno executable a Switchyard process runs from: a copy of the bench's own in the run's
 * directory, one per process name. Deployed, Switchyard is the only process mapping its
 * executable (a container running `deno run`, or the `deno compile` binary); here the bench
 * harness maps the same file, and the kernel will not page out pages two processes map, so
 * Switchyard's giving back of its start-up pages (telemetry/metrics/page_out.ts) would mostly not
 * happen in the bench. A copy makes the executable the process's own, as deployed. One copy per
 * name, because the matrix keeps its two Switchyard targets (raw and `engine: serve`) alive side
 * by side: sharing one copy put ~27 MiB more in the raw target's RSS (96.9 against 69.5 MiB at
 * c=16, measured with and without the serve target beside it).
 */
async function ownRuntime(dir: string, name: string): Promise<string> {
  const path = `${dir}/deno-${name}`;
  try {
    await Deno.stat(path);
  } catch {
    await Deno.copyFile(Deno.execPath(), path);
    await Deno.chmod(path, 0o755);
    using f = await Deno.open(path, { read: true, write: true });
    await f.sync(); // written back, so its pages are clean ones the kernel can page out
  }
  return path;
}

/**
 * Start Switchyard: `deno run -A --no-code-cache --v8-flags=… main.ts serve CONFIG` from the
 * repository root, with its own copy of the runtime ({@link ownRuntime}) and the V8 flags
 * `deno task serve` uses (router/v8_flags.ts) unless the run overrides them.
 *
 * @param readyHost Host header of the readiness request (a name the namer knows)
 * @returns the server, ready
 */
export async function startSwitchyard(env: RunEnv, o: {
  name: string;
  port: number;
  yaml: string;
  cpus?: string | undefined;
  readyHost?: string;
  timeoutMs?: number;
  /** Extra arguments after `serve CONFIG`. */
  args?: readonly string[];
}): Promise<Server> {
  const file = `${env.dir}/${o.name}.yaml`;
  await Deno.writeTextFile(file, o.yaml);
  const proc = env.procs.spawn(o.name, {
    cmd: [
      await ownRuntime(env.dir, o.name),
      "run",
      "-A",
      ...runFlags(env.v8Flags ?? V8_FLAGS),
      `${ROOT}main.ts`,
      "serve",
      file,
      ...(o.args ?? []),
    ],
    cpus: o.cpus,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    logFile: `${env.dir}/${o.name}.log`,
  });
  const s = server(o.name, o.port, proc);
  await waitReady(s, o.readyHost ?? "origin", o.timeoutMs ?? 60_000);
  return s;
}

/**
 * Start `aux_origin.ts` (slow endpoint / upload sink).
 *
 * @returns the server, ready
 */
export async function startAux(env: RunEnv, o: {
  name: string;
  port: number;
  delayMs?: number;
  cpus?: string | undefined;
}): Promise<Server> {
  const script = decodeURIComponent(new URL("./aux_origin.ts", import.meta.url).pathname);
  const proc = env.procs.spawn(o.name, {
    cmd: [Deno.execPath(), "run", "--allow-net", script, String(o.port), String(o.delayMs ?? 0)],
    cpus: o.cpus,
    env: { NO_COLOR: "1" },
    logFile: `${env.dir}/${o.name}.log`,
  });
  const s = server(o.name, o.port, proc);
  await waitReady(s, "aux", 30_000);
  return s;
}
