/**
 * The issue-5 part of `switchyard check CONFIG`, called by `router/config/check.ts` once the
 * config has loaded:
 *
 * - route tables are compiled with Hono, so a path pattern Hono rejects is an error (`check`
 *   then exits 1, as `serve` would refuse to start);
 * - {@linkcode lintRouting} warnings, with their file positions
 *   (`warning: linkerd.yaml:12:7: routers[0].dtab: dentry 1 (…) is unreachable: …`);
 * - when the config has `services:`, each router's compiled dtab: its own dentries, then one line
 *   per service it got, exactly as the router will use it.
 *
 * @example
 * ```ts ignore
 * import { reportRouting } from "./check_report.ts";
 * const code = reportRouting({ config, text, file }, console.log);
 * ```
 *
 * @module
 */
import { LineCounter, parseDocument, type Scalar } from "yaml";
import type { Config } from "../config/mod.ts";
import { formatIssue, formatPath, invalidFix } from "../config/issues.ts";
import { locate, scalarOffset } from "../config/yaml_positions.ts";
import { parseDtab, showDentry } from "../dtab/mod.ts";
import { compileServices } from "../services/mod.ts";
import { compileRouteTable, RouteTableError } from "../routes/mod.ts";
import { lintRouting, localFiles } from "./routing_lint.ts";

/** What {@linkcode reportRouting} reads: a loaded config and its source. */
export interface LoadedConfig {
  readonly config: Config;
  readonly text: string;
  readonly file: string;
}

function routeErrors(config: Config): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  config.routers.forEach((rc, i) =>
    rc.identifier.forEach((id, j) => {
      if (id.kind !== "switchyard.routes") return;
      try {
        compileRouteTable(id.routes);
      } catch (e: unknown) {
        if (!(e instanceof RouteTableError)) throw e;
        const message = e.message.slice(e.path.length + 2);
        out.push({ path: ["routers", i, "identifier", j, ...e.keys], message });
      }
    })
  );
  return out;
}

function dtabLines(config: Config): string[] {
  if (config.services.length === 0) return [];
  const lines: string[] = [];
  for (const rc of config.routers) {
    const compiled = compileServices(config.services, rc.label);
    lines.push(`router ${rc.label} dtab (its dtab, then ${compiled.services.length} service(s)):`);
    // io.l5d.fs: the file's dentries come first; the router's own follow and win.
    if (rc.interpreter.kind === "io.l5d.fs") {
      lines.push(`  # dentries of ${rc.interpreter.dtabFile}`);
    }
    for (const d of parseDtab(rc.dtab)) lines.push(`  ${showDentry(d)};`);
    for (const line of compiled.text.split("\n")) if (line) lines.push(`  ${line}`);
  }
  return lines;
}

/**
 * Print issue-5 errors, warnings and compiled dtabs of a loaded config.
 *
 * @param loaded The config, its text and file name (for positions).
 * @param out Receives one line per call.
 * @returns The exit code for `check`: 1 when a route table does not compile, else 0.
 * @example
 * ```ts
 * import { parseConfig } from "../config/mod.ts";
 * import { reportRouting } from "./check_report.ts";
 * const text = "routers: [{protocol: http, dtab: '/svc => /#/io.l5d.fs', servers: [{}]}]\n" +
 *   "namers: [{kind: io.l5d.fs, rootDir: .}]\n";
 * const r = parseConfig(text, "l5d.yaml");
 * if (r.ok) reportRouting({ config: r.config, text, file: "l5d.yaml" }, () => {}); // 0
 * ```
 */
export function reportRouting(loaded: LoadedConfig, out: (line: string) => void): number {
  const { config, text, file } = loaded;
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const issue = (path: readonly (string | number)[], message: string, dtabOffset?: number) => {
    const loc = locate(doc, path);
    const offset = dtabOffset !== undefined && loc.node && "type" in loc.node
      ? scalarOffset(text, loc.node as Scalar, dtabOffset)
      : loc.offset;
    const { line, col } = lc.linePos(offset);
    return formatIssue({ file, line, column: col, path: formatPath(loc.path), message });
  };
  const errors = routeErrors(config);
  for (const e of errors) out(`error: ${issue(e.path, e.message)}`);
  for (const w of lintRouting(config, localFiles)) {
    out(`warning: ${issue(w.path, w.message, w.dtabOffset)}`);
  }
  if (errors.length > 0) {
    out(`${file}: invalid, ${errors.length} error${errors.length === 1 ? "" : "s"}`);
    out(invalidFix(file));
    return 1;
  }
  for (const line of dtabLines(config)) out(`  ${line}`);
  return 0;
}
