/**
 * `switchyard routes CONFIG [METHOD] URL [-H 'Name: value']… [--router LABEL]`: which route (or
 * identifier) names a request, and what name it produces — without starting anything. The
 * router's identifiers run in order exactly as `serve` runs them; for a `switchyard.routes`
 * table every route up to the match is listed with the reason it missed, then the match, its
 * params, the name, the target that would be forwarded and the route's overrides.
 *
 * Exit codes: 0 the request is named, 1 no identifier names it (the router would answer 400),
 * 2 bad input.
 *
 * @example
 * ```ts ignore
 * import { runRoutes } from "./routes_command.ts";
 * Deno.exitCode = await runRoutes("linkerd.yaml", "GET", "http://api/users/7", {}, terminalIo());
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import type { IdentifierConfig } from "../config/mod.ts";
import { parsePath, showPath } from "../dtab/mod.ts";
import { closeIdentifiers, identifiersFromConfig } from "../identify/mod.ts";
import type { IdentifyInput } from "../identify/identifier.ts";
import { type RouteMatch, routeRequest, routerExtensions } from "../routes/mod.ts";
import { systemClock } from "../core/clock.ts";
import {
  CliError,
  type Io,
  loadConfigOrFail,
  pickRouter,
  report,
  type Style,
  style,
  terminalIo,
} from "./_term.ts";

/** Options of {@linkcode runRoutes}. */
export interface RoutesOptions {
  /** Request headers, `Name: value`. */
  readonly headers?: readonly string[] | undefined;
  /** Router label; default the first router with a route table, else the first router. */
  readonly router?: string | undefined;
}

function requestOf(method: string, urlText: string, headerLines: readonly string[]): IdentifyInput {
  if (!/^[A-Za-z]+$/.test(method)) {
    throw new CliError(`${JSON.stringify(method)} is not an HTTP method`, "use e.g. GET or POST");
  }
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(urlText) ? urlText : `http://${urlText}`);
  } catch {
    throw new CliError(`${JSON.stringify(urlText)} is not a URL`, "use e.g. http://host/path");
  }
  const headers = new Headers();
  for (const line of headerLines) {
    const i = line.indexOf(":");
    if (i <= 0) {
      throw new CliError(`bad header ${JSON.stringify(line)}`, "write headers as -H 'Name: value'");
    }
    headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const host = headers.get("host") ?? url.host;
  const req = new Request(url, { method: method.toUpperCase(), headers });
  return { req, url, host };
}

function overrides(m: RouteMatch): string[] {
  const r = m.route;
  const out: string[] = [];
  if (r.timeoutMs !== undefined) out.push(`timeoutMs ${r.timeoutMs}`);
  if (r.config.responseClassifier) {
    out.push(`responseClassifier ${r.config.responseClassifier.kind}`);
  }
  for (
    const [what, e] of [["request", r.requestHeaders], ["response", r.responseHeaders]] as const
  ) {
    if (e === undefined) continue;
    const parts = [
      ...e.set.map(([k, v]) => `set ${k}: ${v}`),
      ...e.remove.map((k) => `remove ${k}`),
    ];
    out.push(`${what} headers ${parts.join(", ")}`);
  }
  return out;
}

function describeTable(
  ext: ReturnType<typeof routerExtensions>,
  id: ReturnType<typeof identifiersFromConfig>[number],
  input: IdentifyInput,
  s: Style,
  io: Io,
): RouteMatch | undefined {
  const table = ext.tables.get(id);
  if (table === undefined) return undefined;
  const verdicts = table.explain(routeRequest(input));
  for (const v of verdicts) {
    if (v.matched) io.out(`  ${s.green("✓")} ${v.route.description}`);
    else io.out(`  ${s.red("✗")} ${v.route.description}  ${s.dim(v.reason)}`);
  }
  return table.match(routeRequest(input));
}

function defaultRouter<R extends { label: string; identifier: readonly IdentifierConfig[] }>(
  routers: readonly R[],
  label: string | undefined,
): R {
  if (label !== undefined) return pickRouter(routers, label);
  return routers.find((r) => r.identifier.some((i) => i.kind === "switchyard.routes")) ??
    pickRouter(routers, undefined);
}

/**
 * Run `switchyard routes`.
 *
 * @param file The config file.
 * @param method The HTTP method.
 * @param url The request URL (`http://` is assumed when no scheme is given).
 * @param opts Headers and router.
 * @param io Output.
 * @returns The exit code.
 */
export async function runRoutes(
  file: string,
  method: string,
  url: string,
  opts: RoutesOptions,
  io: Io,
): Promise<number> {
  try {
    const config = await loadConfigOrFail(file);
    const rc = defaultRouter(config.routers, opts.router);
    const input = requestOf(method, url, opts.headers ?? []);
    const ext = routerExtensions(rc, config.services, systemClock);
    const prefix = parsePath(rc.dstPrefix);
    const ids = identifiersFromConfig(rc.identifier, prefix, parsePath, ext.identifier);
    try {
      return explain(rc.label, rc.identifier, ids, ext, input, io);
    } finally {
      await closeIdentifiers(ids); // io.l5d.ingress watches the k8s API until closed
    }
  } catch (e: unknown) {
    return report(io, e);
  }
}

/** Print how each identifier of router `label` names `input`; the exit code. */
function explain(
  label: string,
  specs: readonly { kind: string }[],
  ids: ReturnType<typeof identifiersFromConfig>,
  ext: ReturnType<typeof routerExtensions>,
  input: ReturnType<typeof requestOf>,
  io: Io,
): number {
  const s = style(io.color);
  io.out(`router ${s.bold(label)}: ${input.req.method} ${input.url.href} (Host: ${input.host})`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    io.out(`identifier ${specs[i]!.kind}:`);
    const m = describeTable(ext, id, input, s, io);
    const r = id(input);
    if (!r.ok) {
      if (!ext.tables.has(id)) io.out(`  ${s.red("✗")} ${s.dim(r.reason)}`);
      continue;
    }
    if (m && Object.keys(m.params).length > 0) {
      const ps = Object.entries(m.params).map(([k, v]) => `${k}=${v ?? "(absent)"}`);
      io.out(`  params ${ps.join(" ")}`);
    }
    io.out(`name    ${s.green(showPath(r.dst))}`);
    const target = r.target ?? input.url.pathname + input.url.search;
    io.out(
      `forward ${input.req.method} ${target}${r.target !== undefined ? " (rewritten)" : ""}`,
    );
    if (m) { for (const o of overrides(m)) io.out(`route   ${o}`); }
    return 0;
  }
  io.out(s.red("no identifier names this request: the router answers 400 Unknown destination"));
  return 1;
}

/**
 * Add `routes` to the CLI.
 *
 * @param program The root command.
 * @param io Output (default: the terminal).
 * @returns The subcommand.
 */
export function addRoutesCommand(program: Command, io: () => Io = terminalIo): Command {
  return program.command("routes")
    .description("show which route (or identifier) names a request, and the name it produces")
    .argument("<config>", "config file (YAML or JSON)")
    .argument("<method>", "HTTP method (may be left out: GET)")
    .argument("[url]", "request URL, e.g. http://api.example.com/users/7")
    .option("-H, --header <line>", "request header 'Name: value' (repeatable)", collect)
    .option("--router <label>", "the router (default: the first with a route table)")
    .addHelpText(
      "after",
      `
Examples:
  switchyard routes linkerd.yaml GET http://api.example.com/api/users/42
  switchyard routes linkerd.yaml POST http://api.example.com/api/users -H 'x-canary: 1'
  switchyard routes linkerd.yaml http://web/static/app.js --router edge

Exit status: 0 the request is named, 1 nothing names it (the router answers 400), 2 bad input.
`,
    )
    .action(async (config: string, method: string, url: string | undefined, o) => {
      const [m, u] = url === undefined ? ["GET", method] : [method, url];
      Deno.exitCode = await runRoutes(config, m, u, {
        headers: (o.header as string[] | undefined) ?? [],
        router: o.router as string | undefined,
      }, io());
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
