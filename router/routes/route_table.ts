/**
 * The `switchyard.routes` route table: an ordered list of routes, each a `match` (method, Hono
 * path pattern, host, headers, query) and a `dst` name that may use the pattern's params.
 * **The first route in table order whose every condition holds wins.**
 *
 * Paths are matched by Hono's own routers (npm `hono`): a `SmartRouter` over `RegExpRouter`
 * (one precompiled regular expression for the whole table) with `TrieRouter` as the fallback
 * for tables `RegExpRouter` rejects (e.g. `/users/:id` before `/users/me`). Hono returns every
 * route whose method and path match, in registration order; the table then sorts the candidates
 * by route index (so table order is authoritative whatever router Hono picked) and takes the
 * first whose host, headers and query also match.
 *
 * Pattern semantics are Hono's: `:name` captures one segment, `:name{regex}` constrains it
 * (`/posts/:id{[0-9]+}`), `:name?` is optional, `*` matches any rest (`/static/*` also matches
 * `/static`), and trailing slashes are significant (`/users/:id` does not match `/users/7/`).
 * Captured values are raw (still percent-encoded). A route without `path` matches every path; a
 * route without `method` matches every method; a route listing `GET` also matches `HEAD`.
 * `host` is exact (case-insensitive, port ignored) or `*.example.com` (one or more labels);
 * `headers` and `query` values are exact.
 *
 * @example
 * ```ts
 * import { compileRouteTable } from "./route_table.ts";
 * const table = compileRouteTable([
 *   { match: { method: ["GET"], path: "/api/users/:id" }, dst: "/svc/users/{id}" },
 *   { match: { path: "/static/*" }, dst: "/svc/static", rewrite: { stripPrefix: "/static" } },
 * ]);
 * const m = table.match({
 *   method: "GET",
 *   url: new URL("http://example.com/api/users/42"),
 *   host: "example.com",
 *   headers: new Headers(),
 * });
 * m?.dst; // ["svc", "users", "42"]
 * ```
 *
 * @module
 */
import { SmartRouter } from "hono/router/smart-router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { TrieRouter } from "hono/router/trie-router";
import type { Path } from "../dtab/mod.ts";
import type { RouteConfig } from "../config/routes_schema.ts";
import {
  compilePathTemplate,
  compileStripPrefix,
  compileUrlTemplate,
  type Params,
  type PathTemplate,
} from "./_template.ts";

export type { Params } from "./_template.ts";

/** Hono's name for "any method". */
const ALL = "ALL";

/** What a route is matched against. */
export interface RouteRequest {
  readonly method: string;
  /** The request URL (absolute-form targets keep their authority here). */
  readonly url: URL;
  /** The effective Host, as sent (a port is ignored when matching). */
  readonly host: string;
  readonly headers: Headers;
}

/** Header edits of a route: set (replace) and remove, by lower-case name. */
export interface HeaderEdits {
  readonly set: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
}

/** One compiled route. */
export interface CompiledRoute {
  /** Index in the table (`routes[index]`). */
  readonly index: number;
  /** The route as configured. */
  readonly config: RouteConfig;
  /** One-line description: `routes[1] GET /api/users/:id host=api.example.com`. */
  readonly description: string;
  /** Per-route total timeout (applied as a request deadline). */
  readonly timeoutMs: number | undefined;
  readonly requestHeaders: HeaderEdits | undefined;
  readonly responseHeaders: HeaderEdits | undefined;
  /** The dst template. */
  readonly dst: PathTemplate;
}

/** A matched route and what it produced for one request. */
export interface RouteMatch {
  readonly route: CompiledRoute;
  /** Captured params, raw. */
  readonly params: Params;
  /** The logical name, e.g. `/svc/users/42`. */
  readonly dst: Path;
  /** Origin-form target to forward instead of the request's (`rewrite`), or undefined. */
  readonly target: string | undefined;
}

/** Why one route did or did not match (for `switchyard routes`). */
export interface RouteVerdict {
  readonly route: CompiledRoute;
  readonly matched: boolean;
  /** For a miss: the first condition that failed, e.g. `method POST is not GET`. */
  readonly reason: string;
}

/** A compiled table. */
export interface RouteTable {
  readonly routes: readonly CompiledRoute[];
  /** The first route that matches, or undefined. */
  match(req: RouteRequest): RouteMatch | undefined;
  /** Every route up to (and including) the first match, with the reason each one missed. */
  explain(req: RouteRequest): RouteVerdict[];
}

/** A route table that cannot be built; `path` is the config key path of the route. */
export class RouteTableError extends Error {
  /** E.g. `routes[2].match.path`. */
  readonly path: string;
  /** The same as key segments: `["routes", 2, "match", "path"]`. */
  readonly keys: readonly (string | number)[];
  constructor(keys: readonly (string | number)[], message: string) {
    const path = keys.map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("").slice(1);
    super(`${path}: ${message}`);
    this.name = "RouteTableError";
    this.path = path;
    this.keys = keys;
  }
}

interface Entry {
  readonly route: CompiledRoute;
  /** Host, header and query conditions: undefined when they hold, else the reason. */
  readonly check: (req: RouteRequest) => string | undefined;
  readonly methods: readonly string[] | undefined;
  readonly pattern: string;
  readonly target: ((url: URL, params: Params) => string) | undefined;
}

function hostOnly(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(":");
  return colon < 0 || h.indexOf(":", colon + 1) >= 0 ? h : h.slice(0, colon);
}

function hostMatcher(host: string): (h: string) => boolean {
  const want = hostOnly(host);
  if (want.startsWith("*.")) {
    const suffix = want.slice(1);
    return (h) => {
      const got = hostOnly(h);
      return got.length > suffix.length && got.endsWith(suffix);
    };
  }
  return (h) => hostOnly(h) === want;
}

function conditions(cfg: RouteConfig): (req: RouteRequest) => string | undefined {
  const m = cfg.match;
  const checks: ((req: RouteRequest) => string | undefined)[] = [];
  if (m.host !== undefined) {
    const ok = hostMatcher(m.host);
    const want = m.host;
    checks.push((
      req,
    ) => (ok(req.host) ? undefined : `host ${req.host || "(none)"} is not ${want}`));
  }
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    checks.push((req) => {
      const got = req.headers.get(name);
      return got === value
        ? undefined
        : got === null
        ? `header ${name} is absent (want ${JSON.stringify(value)})`
        : `header ${name} is ${JSON.stringify(got)}, not ${JSON.stringify(value)}`;
    });
  }
  for (const [name, value] of Object.entries(m.query ?? {})) {
    checks.push((req) => {
      const got = req.url.searchParams.get(name);
      return got === value
        ? undefined
        : got === null
        ? `query ${name} is absent (want ${JSON.stringify(value)})`
        : `query ${name} is ${JSON.stringify(got)}, not ${JSON.stringify(value)}`;
    });
  }
  if (checks.length === 0) return () => undefined;
  return (req) => {
    for (const c of checks) {
      const why = c(req);
      if (why !== undefined) return why;
    }
    return undefined;
  };
}

function headerEdits(
  e: { add?: Record<string, string> | undefined; remove?: string[] | undefined } | undefined,
): HeaderEdits | undefined {
  if (e === undefined) return undefined;
  const set = Object.entries(e.add ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
  const remove = (e.remove ?? []).map((k) => k.toLowerCase());
  return set.length + remove.length === 0 ? undefined : { set, remove };
}

function describe(index: number, cfg: RouteConfig): string {
  const m = cfg.match;
  const parts = [`routes[${index}]`, m.method?.join(",") ?? "*", m.path ?? "/*"];
  if (m.host !== undefined) parts.push(`host=${m.host}`);
  for (const [k, v] of Object.entries(m.headers ?? {})) parts.push(`${k}: ${v}`);
  for (const [k, v] of Object.entries(m.query ?? {})) parts.push(`?${k}=${v}`);
  return parts.join(" ");
}

function targetOf(cfg: RouteConfig): Entry["target"] {
  const rw = cfg.rewrite;
  if (rw?.path !== undefined) {
    const t = compileUrlTemplate(rw.path);
    return (url, params) => t.fill(params) + url.search;
  }
  if (rw?.stripPrefix !== undefined) {
    const strip = compileStripPrefix(rw.stripPrefix);
    return (url) => strip(url.pathname) + url.search;
  }
  return undefined;
}

function methodsOf(cfg: RouteConfig): string[] | undefined {
  const ms = cfg.match.method;
  if (ms === undefined) return undefined;
  const set = new Set(ms);
  if (set.has("GET")) set.add("HEAD");
  return [...set];
}

/** Check a pattern on its own, so an error names its route. */
function checkPattern(pattern: string, index: number): void {
  try {
    const r = new TrieRouter<number>();
    r.add(ALL, pattern, 0);
    r.match("GET", "/");
  } catch (e: unknown) {
    const why = e instanceof Error ? e.message : String(e);
    throw new RouteTableError(
      ["routes", index, "match", "path"],
      `bad Hono pattern ${pattern}: ${why}`,
    );
  }
}

type HonoResult = [[number, Record<string, unknown>][], unknown[] | undefined];

function paramsOf(raw: Record<string, unknown>, stash: unknown[] | undefined): Params {
  const out: Record<string, string | undefined> = {};
  for (const k in raw) {
    const v = raw[k];
    out[k] = stash ? (stash[v as number] as string | undefined) : (v as string | undefined);
  }
  return out;
}

function pathMatches(pattern: string, path: string): boolean {
  const r = new TrieRouter<number>();
  r.add(ALL, pattern, 0);
  return r.match(ALL, path)[0].length > 0;
}

/**
 * Compile a route table.
 *
 * @param routes The `routes` of a `switchyard.routes` identifier (validated by the schema).
 * @returns The table.
 * @throws {RouteTableError} when a path pattern is not one Hono accepts.
 * @example
 * ```ts
 * import { compileRouteTable } from "./route_table.ts";
 * compileRouteTable([{ match: { path: "/posts/:id{[0-9]+}" }, dst: "/svc/posts" }]).routes.length; // 1
 * ```
 */
export function compileRouteTable(routes: readonly RouteConfig[]): RouteTable {
  const hono = new SmartRouter<number>({
    routers: [new RegExpRouter<number>(), new TrieRouter<number>()],
  });
  const entries: Entry[] = routes.map((cfg, index) => {
    const pattern = cfg.match.path ?? "/*";
    checkPattern(pattern, index);
    const methods = methodsOf(cfg);
    for (const m of methods ?? [ALL]) hono.add(m, pattern, index);
    const route: CompiledRoute = {
      index,
      config: cfg,
      description: describe(index, cfg),
      timeoutMs: cfg.timeoutMs,
      requestHeaders: headerEdits(cfg.requestHeaders),
      responseHeaders: headerEdits(cfg.responseHeaders),
      dst: compilePathTemplate(cfg.dst, pattern),
    };
    return { route, check: conditions(cfg), methods, pattern, target: targetOf(cfg) };
  });
  // Build Hono's matcher now: configuration problems surface at load, not on the first request.
  hono.match("GET", "/");

  function candidates(req: RouteRequest): HonoResult {
    const res = hono.match(req.method, req.url.pathname) as unknown as HonoResult;
    const list = res[0];
    const stash = res[1];
    for (let i = 1; i < list.length; i++) {
      if (list[i]![0] < list[i - 1]![0]) {
        return [[...list].sort((a, b) => a[0] - b[0]), stash];
      }
    }
    return [list, stash];
  }

  function matchOf(e: Entry, raw: Record<string, unknown>, stash: unknown[] | undefined, url: URL) {
    const params = paramsOf(raw, stash);
    return {
      route: e.route,
      params,
      dst: e.route.dst.fill(params),
      target: e.target?.(url, params),
    };
  }

  return {
    routes: entries.map((e) => e.route),
    match(req) {
      const [list, stash] = candidates(req);
      for (const [index, raw] of list) {
        const e = entries[index]!;
        if (e.check(req) === undefined) return matchOf(e, raw, stash, req.url);
      }
      return undefined;
    },
    explain(req) {
      const out: RouteVerdict[] = [];
      for (const e of entries) {
        let reason: string | undefined;
        if (e.methods !== undefined && !e.methods.includes(req.method)) {
          reason = `method ${req.method} is not ${e.route.config.match.method?.join(" or ")}`;
        } else if (!pathMatches(e.pattern, req.url.pathname)) {
          reason = `path ${req.url.pathname} does not match ${e.pattern}`;
        } else reason = e.check(req);
        out.push({ route: e.route, matched: reason === undefined, reason: reason ?? "" });
        if (reason === undefined) break;
      }
      return out;
    },
  };
}
