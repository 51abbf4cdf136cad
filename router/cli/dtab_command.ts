/**
 * `switchyard dtab CONFIG PATH [--dtab TEXT] [--router LABEL] [--wait MS] [--json]`: how a name
 * delegates, in the terminal. It builds the router's effective dtab exactly as `serve` does (an
 * `io.l5d.fs` interpreter's `dtabFile`, an `io.l5d.k8s.configMap` interpreter's ConfigMap key or
 * an `io.l5d.consul.interpreter`'s KV key, then its `dtab`, then the compiled `services:`, then `--dtab` as if sent in `l5d-dtab`), starts the configured namers, waits up to `--wait` ms
 * (default 2000) for pending lookups, and prints the delegator tree (`router/dtab/delegate.ts`):
 * every dentry tried, why a branch is negative or failed, and the endpoints each leaf binds to.
 * Colored on a terminal.
 *
 * Exit codes: 0 the name binds to at least one endpoint, 1 it does not (neg, fail, empty or no
 * endpoints), 2 bad input.
 *
 * @example
 * ```ts ignore
 * import { runDtab } from "./dtab_command.ts";
 * Deno.exitCode = await runDtab("linkerd.yaml", "/svc/hello", {}, terminalIo());
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import type { Config, RouterConfig } from "../config/mod.ts";
import {
  bind,
  chooseLeaf,
  delegate,
  type DelegateNode,
  delegatorJson,
  type Dtab,
  parseDtab,
  parsePath,
  type Path,
  showPath,
  showTree,
} from "../dtab/mod.ts";
import { closeAll, createNamerLookup, createNamers } from "../../discovery/mod.ts";
import type { Bound, NamerConfig, NamerLookup } from "../../discovery/mod.ts";
import { compileServices } from "../services/mod.ts";
import { createK8sApi, watchConfigMapDtab } from "../../discovery/k8s/mod.ts";
import { createConsulApi, watchConsulDtab } from "../../discovery/consul/mod.ts";
import {
  CliError,
  type Io,
  loadConfigOrFail,
  pickRouter,
  report,
  style,
  terminalIo,
} from "./_term.ts";
import { hasPending, renderDelegateTree } from "./delegate_tree.ts";

/** Options of {@linkcode runDtab}. */
export interface DtabOptions {
  /** Extra dentries, as a request's `l5d-dtab` would add. */
  readonly dtab?: string | undefined;
  /** Router label; default the first router. */
  readonly router?: string | undefined;
  /** Max ms to wait for pending namers; default 2000. */
  readonly wait?: number | undefined;
  /** Print the delegator JSON instead of the tree. */
  readonly json?: boolean | undefined;
}

/** An `io.l5d.k8s.configMap` interpreter's dtab, read once through the k8s API. */
async function configMapDtab(rc: RouterConfig, waitMs: number): Promise<Dtab> {
  const i = rc.interpreter;
  if (i.kind !== "io.l5d.k8s.configMap") return [];
  let api;
  try {
    api = createK8sApi({ host: i.host, port: i.port, useServiceAccount: i.useServiceAccount });
  } catch (e: unknown) {
    throw new CliError((e as Error).message, "fix routers[].interpreter (host, port)");
  }
  const where = `ConfigMap ${i.namespace}/${i.name} of router ${rc.label} from ${api.baseUrl}`;
  const problems: string[] = [];
  const note = (msg: string) => problems.push(msg);
  const cm = watchConfigMapDtab({
    api,
    ownsApi: true,
    namespace: i.namespace,
    name: i.name,
    filename: i.filename,
    log: { debug() {}, info() {}, warn: note, error: note },
  });
  try {
    const until = Date.now() + waitMs;
    while (cm.dtab.get() === undefined && Date.now() < until) await sleep(25);
    const dtab = cm.dtab.get();
    if (dtab === undefined) {
      throw new CliError(
        `cannot read the ${where}: ${problems.at(-1) ?? "no answer"}`,
        "start `kubectl proxy` or fix routers[].interpreter host and port",
      );
    }
    return dtab;
  } finally {
    await cm.close();
  }
}

/** An `io.l5d.consul.interpreter`'s dtab, read once from the Consul agent's KV store. */
async function consulDtab(rc: RouterConfig, waitMs: number): Promise<Dtab> {
  const i = rc.interpreter;
  if (i.kind !== "io.l5d.consul.interpreter") return [];
  const { host, port, token, tls, readConsistencyMode } = i;
  let api;
  try {
    api = createConsulApi({ host, port, token, tls, consistencyMode: readConsistencyMode });
  } catch (e: unknown) {
    throw new CliError((e as Error).message, "fix routers[].interpreter.tls");
  }
  const problems: string[] = [];
  const note = (msg: string, fields?: Record<string, unknown>) =>
    problems.push(fields?.error ? `${msg}: ${fields.error}` : msg);
  const kv = watchConsulDtab({
    api,
    ownsApi: true,
    pathPrefix: i.pathPrefix,
    namespace: i.namespace,
    datacenter: i.datacenter,
    minBackoffMs: 100,
    log: { debug() {}, info() {}, warn: note, error: note },
  });
  const where = `Consul KV ${kv.key} of router ${rc.label} from ${api.baseUrl}`;
  try {
    const until = Date.now() + waitMs;
    while (kv.dtab.get() === undefined && Date.now() < until) await sleep(25);
    const dtab = kv.dtab.get();
    if (dtab === undefined) {
      throw new CliError(
        `cannot read the ${where}: ${problems.at(-1) ?? "no answer"}`,
        "start the Consul agent or fix routers[].interpreter host and port",
      );
    }
    return dtab;
  } finally {
    await kv.close();
  }
}

async function interpreterDtab(rc: RouterConfig, waitMs: number): Promise<Dtab> {
  if (rc.interpreter.kind === "io.l5d.k8s.configMap") return await configMapDtab(rc, waitMs);
  if (rc.interpreter.kind === "io.l5d.consul.interpreter") return await consulDtab(rc, waitMs);
  if (rc.interpreter.kind !== "io.l5d.fs") return [];
  const file = rc.interpreter.dtabFile;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e: unknown) {
    throw new CliError(
      `cannot read the dtab file ${file} of router ${rc.label}: ${(e as Error).message}`,
      "create it or fix routers[].interpreter.dtabFile",
    );
  }
  try {
    return parseDtab(text);
  } catch (e: unknown) {
    throw new CliError(`bad dtab in ${file}: ${(e as Error).message}`, "fix the dtab file");
  }
}

/**
 * The dtab a router serves with: an `io.l5d.fs` interpreter's `dtabFile` (or an
 * `io.l5d.k8s.configMap` interpreter's ConfigMap key, read through the API), then the router's
 * own `dtab`, then its compiled services (later entries win, as in Linkerd's
 * ConfiguredDtabNamer, which binds with `fileDtab ++ routerDtab`).
 *
 * @param config The config.
 * @param rc One of its routers.
 * @param waitMs How long to wait for the k8s API (ConfigMap interpreter); default 2000.
 * @returns The dtab.
 * @throws {CliError} when an `interpreter.dtabFile` cannot be read or parsed, or the ConfigMap's
 *   API does not answer.
 */
export async function effectiveDtab(
  config: Config,
  rc: RouterConfig,
  waitMs = 2000,
): Promise<Dtab> {
  return [
    ...await interpreterDtab(rc, waitMs),
    ...parseDtab(rc.dtab),
    ...compileServices(config.services, rc.label).dentries,
  ];
}

function parseArg<T>(what: string, text: string, f: (s: string) => T, fix: string): T {
  try {
    return f(text);
  } catch (e: unknown) {
    throw new CliError(`bad ${what} ${JSON.stringify(text)}: ${(e as Error).message}`, fix);
  }
}

function countEndpoints(b: Bound): number {
  const a = b.addr.get();
  return a.type === "bound" ? a.addrs.length : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Run `switchyard dtab`.
 *
 * @param file The config file.
 * @param pathText The name to delegate, e.g. `/svc/hello`.
 * @param opts Options.
 * @param io Output.
 * @returns The exit code.
 */
export async function runDtab(
  file: string,
  pathText: string,
  opts: DtabOptions,
  io: Io,
): Promise<number> {
  try {
    const config = await loadConfigOrFail(file);
    const rc = pickRouter(config.routers, opts.router);
    const path: Path = parseArg("path", pathText, parsePath, "give a name such as /svc/hello");
    const extra = opts.dtab === undefined ? [] : parseArg(
      "--dtab",
      opts.dtab,
      parseDtab,
      "use dentries like '/svc/hello => /#/io.l5d.fs/hello2'",
    );
    const dtab = [...await effectiveDtab(config, rc, opts.wait ?? 2000), ...extra];
    let namers;
    const made: { lookup?: NamerLookup } = {};
    try {
      namers = createNamers(config.namers as unknown as NamerConfig[], {
        bind: (p) => made.lookup?.(p), // a namer's io.l5d.replace / io.l5d.const
      });
    } catch (e: unknown) {
      throw new CliError((e as Error).message, `run \`switchyard check ${file}\` and fix namers`);
    }
    const lookup = createNamerLookup(namers);
    made.lookup = lookup;
    try {
      return await explain(dtab, path, lookup, opts, io);
    } finally {
      await lookup.close();
      await closeAll(namers);
    }
  } catch (e: unknown) {
    return report(io, e);
  }
}

async function explain(
  dtab: Dtab,
  path: Path,
  lookup: ReturnType<typeof createNamerLookup>,
  opts: DtabOptions,
  io: Io,
): Promise<number> {
  const until = Date.now() + (opts.wait ?? 2000);
  const subs: (() => void)[] = [];
  let tree: DelegateNode;
  let bound;
  try {
    for (;;) {
      tree = delegate(dtab, path, lookup);
      bound = bind(dtab, path, lookup, { failover: true });
      for (const v of bound.deps) subs.push(v.subscribe(() => {})); // keep lookups live
      if ((!hasPending(tree) && !bound.pending) || Date.now() >= until) break;
      await sleep(25);
    }
  } finally {
    for (const u of subs) u();
  }
  if (opts.json) {
    io.out(delegatorJson(tree, 2));
  } else {
    const s = style(io.color);
    for (const line of renderDelegateTree(tree, s)) io.out(line);
  }
  // As the router chooses: an alternation fails over past a branch without endpoints.
  const choice = chooseLeaf(bound.tree, () => 0, (b) => countEndpoints(b) > 0);
  const shown = showTree(bound.tree, (b: Bound) => {
    const n = countEndpoints(b);
    return `${b.idStr} [${n} endpoint${n === 1 ? "" : "s"}]`;
  });
  if (choice.type === "leaf" && countEndpoints(choice.bound) > 0) {
    if (!opts.json) io.out(`→ ${showPath(path)} binds to ${shown}`);
    return 0;
  }
  if (!opts.json) {
    const what = bound.pending
      ? `is still pending after ${opts.wait ?? 2000} ms`
      : bound.error
      ? `fails: ${bound.error}`
      : choice.type === "leaf"
      ? `binds to ${shown} but has no endpoints`
      : `does not bind (${choice.type})`;
    io.out(`→ ${showPath(path)} ${what}`);
  }
  return 1;
}

/**
 * Add `dtab` to the CLI.
 *
 * @param program The root command.
 * @param io Output (default: the terminal).
 * @returns The subcommand.
 */
export function addDtabCommand(program: Command, io: () => Io = terminalIo): Command {
  return program.command("dtab")
    .description("show how a name delegates through a router's dtab and namers, and why")
    .argument("<config>", "config file (YAML or JSON)")
    .argument("<path>", "the logical name, e.g. /svc/hello")
    .option("--dtab <dentries>", "extra dentries, as a request's l5d-dtab header would add")
    .option("--router <label>", "the router whose dtab to use (default: the first)")
    .option("--wait <ms>", "how long to wait for namers that have not answered", "2000")
    .option("--json", "print the /delegator.json tree instead")
    .addHelpText(
      "after",
      `
Examples:
  switchyard dtab linkerd.yaml /svc/hello
  switchyard dtab linkerd.yaml /svc/hello --dtab '/svc/hello => /#/io.l5d.fs/hello-v2'
  switchyard dtab linkerd.yaml /svc/users --router incoming --json

Exit status: 0 the name binds to endpoints, 1 it does not, 2 bad input.
`,
    )
    .action(async (config: string, path: string, o: Record<string, string | boolean>) => {
      const wait = Number(o.wait);
      Deno.exitCode = await runDtab(config, path, {
        dtab: o.dtab as string | undefined,
        router: o.router as string | undefined,
        wait: Number.isFinite(wait) && wait >= 0 ? wait : 2000,
        json: o.json === true,
      }, io());
    });
}
