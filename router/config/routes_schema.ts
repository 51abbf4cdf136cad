/**
 * Switchyard's own identifier kind `switchyard.routes` (issue 5): an ordered table of routes, the
 * first whose `match` fits the request names the destination. `match.path` is a Hono route pattern
 * (`/api/users/:id`, `/static/*`, `/posts/:id{[0-9]+}`); `dst` is a path that may use the
 * pattern's params as `{id}`. Per-route overrides: `timeoutMs`, `responseClassifier`,
 * `requestHeaders` / `responseHeaders` `{add, remove}`, `rewrite {path, stripPrefix}`.
 *
 * The table can live in a file of its own, watched and hot-reloaded with the config:
 * `routesFile: routes.yaml` (a YAML list of routes, or a mapping with `routes:`), relative to the
 * config file, instead of `routes:`.
 *
 * ```yaml
 * identifier:
 *   kind: switchyard.routes
 *   routes:
 *   - match: {method: GET, path: /api/users/:id}
 *     dst: /svc/users/{id}
 *     timeoutMs: 500
 *   - match: {path: /static/*}
 *     dst: /svc/static
 *     rewrite: {stripPrefix: /static}
 * ```
 *
 * @example
 * ```ts
 * import { routesIdentifierSchema } from "./routes_schema.ts";
 * const r = routesIdentifierSchema.parse({
 *   kind: "switchyard.routes",
 *   routes: [{ match: { method: "get", path: "/u/:id" }, dst: "/svc/users/{id}" }],
 * });
 * console.log(r.routes[0]?.match.method); // ["GET"]
 * ```
 *
 * @module
 */
import { z } from "zod";
import { pathString, timeoutMs } from "./common_schema.ts";
import { responseClassifierSchema } from "./service_schema.ts";

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const headerName = z.string().regex(TOKEN_RE, {
  error: (iss) => `${JSON.stringify(iss.input)} is not a valid header name`,
});
const method = z.string().regex(/^[A-Za-z]+$/, {
  error: (iss) => `${JSON.stringify(iss.input)} is not an HTTP method`,
}).transform((m) => m.toUpperCase());

/** Wrap a single value in a list, leaving lists (and absence) alone. */
export function asList(v: unknown): unknown {
  return v === undefined || Array.isArray(v) ? v : [v];
}

const headerEdits = z.strictObject({
  /** Headers to set (replacing any existing value). */
  add: z.record(headerName, z.string()).optional(),
  remove: z.array(headerName).optional(),
});

const routePattern = z.string().startsWith("/", { error: "a route path must start with /" });

/** `routes[].match`: every given field must match (method is one of a list). */
export const routeMatchSchema = z.strictObject({
  method: z.preprocess(asList, z.array(method).min(1)).optional(),
  path: routePattern.optional(),
  /** Exact host (case-insensitive, port ignored) or `*.example.com`. */
  host: z.string().min(1).optional(),
  /** Header name → exact value. */
  headers: z.record(headerName, z.string()).optional(),
  /** Query parameter → exact value. */
  query: z.record(z.string().min(1), z.string()).optional(),
});

const PLACEHOLDER_RE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names a Hono pattern captures: `:id`, `:id{[0-9]+}`, `:id?`. */
export function patternParams(pattern: string): string[] {
  return [...pattern.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? "");
}

function checkTemplate(
  ctx: z.RefinementCtx,
  template: string,
  params: readonly string[],
  path: (string | number)[],
): void {
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    const name = m[1] ?? "";
    if (!params.includes(name)) {
      ctx.addIssue({
        code: "custom",
        input: template,
        path,
        message: `{${name}} is not a param of match.path` +
          (params.length > 0 ? ` (params: ${params.join(", ")})` : " (it has none)"),
      });
    }
  }
  if (!pathString.safeParse(template.replace(PLACEHOLDER_RE, "x")).success) {
    ctx.addIssue({
      code: "custom",
      input: template,
      path,
      message: `${JSON.stringify(template)} is not a path (labels of [0-9A-Za-z_:.#$%-], {params})`,
    });
  }
}

/** One route. */
export const routeSchema = z.strictObject({
  match: routeMatchSchema.prefault({}),
  /** The logical name, e.g. `/svc/users/{id}` (dstPrefix is not prepended). */
  dst: z.string(),
  timeoutMs: timeoutMs.optional(),
  responseClassifier: responseClassifierSchema.optional(),
  requestHeaders: headerEdits.optional(),
  responseHeaders: headerEdits.optional(),
  rewrite: z.strictObject({
    /** Replacement request path; may use `{params}`. */
    path: routePattern.optional(),
    /** Prefix removed from the request path before forwarding. */
    stripPrefix: routePattern.optional(),
  }).optional(),
}).superRefine((route, ctx) => {
  const params = patternParams(route.match.path ?? "");
  checkTemplate(ctx, route.dst, params, ["dst"]);
  if (route.rewrite?.path !== undefined) {
    checkTemplate(ctx, route.rewrite.path, params, ["rewrite", "path"]);
  }
  const strip = route.rewrite?.stripPrefix;
  if (
    strip !== undefined && route.match.path !== undefined && !route.match.path.startsWith(strip)
  ) {
    ctx.addIssue({
      code: "custom",
      input: strip,
      path: ["rewrite", "stripPrefix"],
      message: `stripPrefix ${strip} is not a prefix of match.path ${route.match.path}`,
    });
  }
});

/** The `switchyard.routes` identifier. */
export const routesIdentifierSchema = z.strictObject({
  kind: z.literal("switchyard.routes"),
  routes: z.array(routeSchema).min(1),
  /**
   * The YAML file the routes were read from (`routesFile: routes.yaml`, relative to the config
   * file; `load.ts` reads it into `routes`, reports its errors at its own line:column, and the
   * reloader watches it).
   */
  routesFile: z.string().min(1).optional(),
});

/** One route of a `switchyard.routes` table. */
export type RouteConfig = z.infer<typeof routeSchema>;
/** A route's match. */
export type RouteMatchConfig = z.infer<typeof routeMatchSchema>;
