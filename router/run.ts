/**
 * The long-running commands: `serve CONFIG` and `demo`. Each starts a Linker, waits for
 * SIGINT/SIGTERM or `POST /admin/shutdown`, drains, and returns the exit code.
 *
 * @module
 */
import { keepServingOnStrayErrors } from "./core/stray_errors.ts";
import { formatIssue } from "./config/issues.ts";
import { demoConfigYaml } from "./config/demo_config.ts";
import { type ConfigLoader, configLoader } from "./config/child_load.ts";
import type { Config } from "./config/schema.ts";
import { type Linker, startLinker } from "./linker.ts";
import {
  createReloader,
  reloadAdminHandlers,
  type Reloader,
  reloadMetrics,
} from "./config/reload.ts";
import { configDependencies } from "./snapshot.ts";
import type { Logger } from "../telemetry/log.ts";
import { startHeapTrimmer, startMallocTrimmer } from "../telemetry/metrics/mod.ts";
import { pageOutExecutable } from "../telemetry/metrics/page_out.ts";
import type { ServeWorkersOptions } from "./workers/serve.ts";
// `demo`'s sample apps and `--workers` load only when asked for, and the config parser never
// (a `config-json` child validates the config; `config/child_load.ts`): issue 6, idle RSS.

function onSignals(fn: () => void): () => void {
  const sigs: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of sigs) Deno.addSignalListener(s, fn);
  return () => {
    for (const s of sigs) Deno.removeSignalListener(s, fn);
  };
}

async function runUntilStopped(linker: Linker, log: Logger): Promise<void> {
  const keep = keepServingOnStrayErrors(log); // one connection's bug must not drop the others
  const off = onSignals(() => {
    log.info("signal received, draining");
    void linker.shutdown();
  });
  // Idle: give back the heap that start-up, bursts and new names left committed, and after
  // start-up the executable's pages only start-up used (issue 6). V8's own memory reducer is off
  // (`--no-memory-reducer`, router/v8_flags.ts): it collected a few seconds after every burst.
  const trimmer = startHeapTrimmer({
    activity: () => linker.accepted(),
    onTrim: (n) => {
      if (n !== 1) return;
      const r = pageOutExecutable();
      if (r.ok) log.debug("start-up pages of the executable paged out", { mappings: r.mappings });
      else log.debug("start-up pages of the executable kept", { reason: r.reason });
    },
  });
  // How many times it collected (1: start-up's): a benchmark reads memory after the first.
  linker.registry.gauge(["process"], "heap_trims", () => trimmer.trims);
  // And the C heap: what V8's background threads freed goes back to the OS after start-up, as
  // the process goes quiet, and every 10 s under traffic (telemetry/metrics/malloc_trim.ts).
  const mallocTrimmer = startMallocTrimmer({ activity: () => linker.accepted() });
  linker.registry.gauge(["process"], "malloc_trims", () => mallocTrimmer.trims);
  await linker.finished;
  trimmer.stop();
  mallocTrimmer.stop();
  off();
  keep();
}

/**
 * `switchyard serve CONFIG`. With `workers.workers` > 1, N workers share every router port
 * (router/workers/); otherwise one isolate serves everything.
 *
 * @param path The config file (`-` = stdin).
 * @param log The logger.
 * @param workers `--workers` (more than 1 = router/workers/).
 * @param loader Parses the config and every reload (default: a `config-json` child of
 *   `main.ts`, or in-process with `SWITCHYARD_CONFIG_INPROCESS=1`).
 * @returns the process exit code
 */
export async function runServe(
  path: string,
  log: Logger,
  workers?: ServeWorkersOptions,
  loader: ConfigLoader = configLoader(),
): Promise<number> {
  if (workers && workers.workers > 1) {
    const { runServeWorkers } = await import("./workers/serve.ts");
    return await runServeWorkers(path, log, workers, loader);
  }
  const loaded = await loader.load(path);
  if (!loaded.ok) {
    for (const issue of loaded.errors) log.error(formatIssue(issue));
    log.error(`config ${loaded.file} is invalid (${loaded.errors.length} error(s))`);
    return 1;
  }
  for (const w of loaded.warnings) log.warn(w);
  if (path === "-") {
    // stdin cannot be re-read: no hot reload.
    let linker: Linker;
    try {
      linker = await startLinker(loaded.config, { log });
    } catch (e: unknown) {
      log.error("cannot start", { error: e });
      return 1;
    }
    await runUntilStopped(linker, log);
    return 0;
  }
  // Filled in once the linker runs; handlers and the SIGHUP listener exist before it.
  const ref: { reloader?: Reloader } = {};
  let reloaderMade = () => {};
  const made = new Promise<void>((r) => reloaderMade = r);
  const reloadHandlers = reloadAdminHandlers(() => ref.reloader, made);
  // SIGHUP's default action kills the process: take it over before anything listens.
  let hupEarly = false;
  const onHup = () => {
    if (ref.reloader) void ref.reloader.reload("SIGHUP");
    else hupEarly = true;
  };
  Deno.addSignalListener("SIGHUP", onHup);
  let linker: Linker;
  try {
    linker = await startLinker(loaded.config, { log, adminHandlers: reloadHandlers });
  } catch (e: unknown) {
    log.error("cannot start", { error: e });
    Deno.removeSignalListener("SIGHUP", onHup);
    reloaderMade();
    return 1;
  }
  const onAttempt = reloadMetrics(linker.registry, () => ref.reloader);
  // `ref.reloader` is set before `made` settles: a POST /admin/reload waiting on `made` reads it
  // next (set by the assignment after the await, it could read it unset and answer 503).
  const reloader = await createReloader({
    path,
    text: loaded.text,
    log,
    parse: loader.parse,
    extraPaths: configDependencies(loaded.config),
    apply: async (config) => {
      await linker.reload(config);
      ref.reloader?.setExtraPaths(configDependencies(config));
    },
    onAttempt,
  }).then((r) => ref.reloader = r).finally(reloaderMade);
  // The file may have changed between the first read and the watch: check once now.
  void reloader.reload(hupEarly ? "SIGHUP" : "start");
  await runUntilStopped(linker, log);
  Deno.removeSignalListener("SIGHUP", onHup);
  reloader.close();
  return 0;
}

/** Ports and address of the demo. */
export interface DemoOptions {
  readonly ip: string;
  readonly routerPort: number;
  readonly adminPort: number;
  readonly helloPort: number;
  readonly worldPort: number;
}

/**
 * `switchyard demo`: the hello/world sample apps, an fs namer directory that names them, and an
 * `outgoing` router that hello uses as its http_proxy.
 *
 * @param loader Validates the demo config (as for {@linkcode runServe}).
 * @returns the process exit code
 */
export async function runDemo(
  opts: DemoOptions,
  log: Logger,
  out: (line: string) => void,
  loader: ConfigLoader = configLoader(),
): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-demo-" });
  const stops: (() => Promise<void>)[] = [() => Deno.remove(dir, { recursive: true })];
  const cleanup = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    const { startHelloWorld } = await import("../deploy/examples/helloworld/helloworld.ts");
    const world = startHelloWorld({ hostname: opts.ip, port: opts.worldPort, text: "world" });
    stops.push(() => world.close());
    const hello = startHelloWorld({
      hostname: opts.ip,
      port: opts.helloPort,
      text: "Hello",
      target: "world",
      proxy: `${opts.ip}:${opts.routerPort}`,
    });
    stops.push(() => hello.close());
    await Deno.writeTextFile(`${dir}/hello`, `${opts.ip} ${hello.port}\n`);
    await Deno.writeTextFile(`${dir}/world`, `${opts.ip} ${world.port}\n`);
    const yaml = demoConfigYaml({
      routerPort: opts.routerPort,
      adminPort: opts.adminPort,
      rootDir: dir,
      ip: opts.ip,
    });
    const parsed = await loader.parse(yaml, "<demo>");
    if (!parsed.ok) throw new Error(parsed.errors.map(formatIssue).join("\n"));
    const config: Config = parsed.config;
    const linker = await startLinker(config, { log });
    const router = linker.listeners()[0]!.listener;
    out(
      `Switchyard demo is running (hello on ${opts.ip}:${hello.port}, world on ${opts.ip}:${world.port}).`,
    );
    out(`  http_proxy=${opts.ip}:${router.port} curl -s http://hello`);
    out(`    → Hello (127.0.0.1) world (127.0.0.1)!!   (hello calls world through the router)`);
    out(`  curl -s ${linker.admin.ip}:${linker.admin.port}/admin/ping`);
    out(`  admin: http://${linker.admin.ip}:${linker.admin.port}/   stop with Ctrl-C`);
    await runUntilStopped(linker, log);
  } catch (e: unknown) {
    log.error("demo failed", { error: e });
    await cleanup();
    return 1;
  }
  await cleanup();
  return 0;
}
