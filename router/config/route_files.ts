/**
 * Route files (issue 5: "YAML route files, hot-reloaded"): a `switchyard.routes` identifier may
 * name its table's file, `routesFile: routes.yaml`, instead of listing `routes:`. The file holds
 * a YAML list of routes (or a mapping with a `routes:` list); a relative path is relative to the
 * config file's directory. Before validation the file is read into the identifier's `routes`
 * (and `routesFile` becomes the absolute path, which the reloader watches); problems in it are
 * reported at the route file's own line:column through {@linkcode RouteFile}.
 *
 * @example
 * ```ts ignore
 * import { includeRouteFiles } from "./route_files.ts";
 * const { files, errors } = includeRouteFiles(raw, "/etc/switchyard/config.yaml");
 * ```
 *
 * @module
 */
import { type Document, LineCounter, parseDocument } from "yaml";
import type { ConfigIssue } from "./issues.ts";

/** A route file read into the config, for positions. */
export interface RouteFile {
  /** The file as reported (the resolved path). */
  readonly file: string;
  /** Config paths of the injected list (with and without the single-identifier index 0). */
  readonly heads: readonly (readonly PropertyKey[])[];
  /** Where the list is inside the file's document: `[]` for a list, `["routes"]` for a mapping. */
  readonly base: readonly PropertyKey[];
  readonly doc: Document;
  readonly lc: LineCounter;
}

/** What went wrong outside the route files' own YAML, at a config key. */
export interface RouteFileKeyIssue {
  readonly path: PropertyKey[];
  readonly message: string;
}

function dirOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : p.slice(0, i);
}

function resolve(configFile: string, name: string): string {
  if (name.startsWith("/") || configFile.startsWith("<")) return name;
  return `${dirOf(configFile)}/${name}`;
}

type Obj = Record<string, unknown>;

/**
 * Read every `routesFile` into its identifier's `routes` (in place).
 *
 * @param raw the config as plain data (from the YAML document)
 * @param configFile the config file's name (relative paths are resolved from its directory)
 * @returns the files read, and the problems: at config keys (`keyIssues`) or inside a route
 *   file (`errors`, already at that file's positions)
 */
export function includeRouteFiles(
  raw: unknown,
  configFile: string,
): { files: RouteFile[]; keyIssues: RouteFileKeyIssue[]; errors: ConfigIssue[] } {
  const files: RouteFile[] = [], keyIssues: RouteFileKeyIssue[] = [], errors: ConfigIssue[] = [];
  const routers = (raw as Obj | null)?.routers;
  if (!Array.isArray(routers)) return { files, keyIssues, errors };
  routers.forEach((r: unknown, i) => {
    const ident = (r as Obj | null)?.identifier;
    const list = Array.isArray(ident) ? ident : ident ? [ident] : [];
    list.forEach((id: unknown, j) => {
      const o = id as Obj | null;
      if (!o || o.kind !== "switchyard.routes" || o.routesFile === undefined) return;
      const at = Array.isArray(ident)
        ? ["routers", i, "identifier", j]
        : ["routers", i, "identifier"];
      if (typeof o.routesFile !== "string" || o.routesFile === "") return; // the schema says why
      if (o.routes !== undefined) {
        keyIssues.push({
          path: [...at, "routesFile"],
          message: "give routes or routesFile, not both",
        });
        return;
      }
      const file = resolve(configFile, o.routesFile);
      let text: string;
      try {
        text = Deno.readTextFileSync(file);
      } catch (e: unknown) {
        const why = e instanceof Error ? e.message : String(e);
        keyIssues.push({ path: [...at, "routesFile"], message: `cannot read ${file}: ${why}` });
        return;
      }
      const lc = new LineCounter();
      const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
      if (doc.errors.length > 0) {
        for (const e of doc.errors) {
          const { line, col } = lc.linePos(e.pos[0]);
          const message = e.message.split("\n")[0] ?? e.message;
          errors.push({ file, line, column: col, path: "", message });
        }
        return;
      }
      const value = doc.toJS();
      const inner = Array.isArray(value) ? undefined : (value as Obj | null)?.routes;
      const routes = Array.isArray(value) ? value : inner;
      if (!Array.isArray(routes)) {
        errors.push({
          file,
          line: 1,
          column: 1,
          path: "",
          message: "expected a list of routes (or a mapping with routes:)",
        });
        return;
      }
      o.routes = routes;
      o.routesFile = file;
      const base = Array.isArray(value) ? [] : ["routes"];
      const single = Array.isArray(ident) ? [] : [["routers", i, "identifier", 0, "routes"]];
      files.push({ file, heads: [[...at, "routes"], ...single], base, doc, lc });
    });
  });
  return { files, keyIssues, errors };
}

/**
 * The route file an issue at `path` is in, and the path inside that file's document.
 *
 * @returns undefined when the path is not inside an included table
 */
export function routeFileOf(
  files: readonly RouteFile[],
  path: readonly PropertyKey[],
): { file: RouteFile; inner: PropertyKey[] } | undefined {
  for (const f of files) {
    for (const head of f.heads) {
      if (path.length < head.length || !head.every((k, n) => path[n] === k)) continue;
      return { file: f, inner: [...f.base, ...path.slice(head.length)] };
    }
  }
  return undefined;
}
