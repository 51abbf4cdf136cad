/**
 * The effective `service` / `client` params for one name. With `kind: io.l5d.global` that is the
 * block itself; with `kind: io.l5d.static` every config whose `prefix` matches applies in order
 * over Linkerd's defaults, later ones winning key by key (`retries.budget` and `retries.backoff`
 * separately, as Linkerd keeps them as two params). Prefix segments may be `*` (any one segment)
 * or contain `{var}` captures (greedy, whole segment); captures are substituted into that entry's
 * `tls.commonName`. Callers resolve once per service/client and cache (L1 `routers.md` "Static
 * Service Config" / "Static Client Config").
 *
 * @example
 * ```ts
 * import { clientBlockSchema } from "./client_schema.ts";
 * import { resolveClientParams } from "./prefix_params.ts";
 * const client = clientBlockSchema.parse({
 *   kind: "io.l5d.static",
 *   configs: [{ prefix: "/#/io.l5d.fs/{service}", tls: { commonName: "{service}.linkerd.io" } }],
 * });
 * resolveClientParams(client, "/#/io.l5d.fs/cat").tls?.commonName; // "cat.linkerd.io"
 * ```
 *
 * @module
 */
import type { ClientConfig, ClientParams } from "./client_schema.ts";
import type { ServiceConfig, ServiceParams } from "./service_schema.ts";
// Not the schemas' parse({}): the serving process never loads zod (issue 6).
import { defaultClientParams, defaultServiceParams } from "./default_params.ts";

const CAPTURE_RE = /\{([A-Za-z0-9.:_-]+)\}/g;

function segments(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Match a static-config prefix pattern against a name (as a prefix).
 *
 * @param pattern e.g. `/#/*\/{service}`.
 * @param name e.g. `/#/io.l5d.fs/cat/extra`.
 * @returns The captured variables, or `undefined` when the pattern does not match.
 * @example
 * ```ts
 * import { matchPrefix } from "./prefix_params.ts";
 * matchPrefix("/svc/{name}", "/svc/hello/x"); // { name: "hello" }
 * ```
 */
export function matchPrefix(pattern: string, name: string): Record<string, string> | undefined {
  const pat = segments(pattern);
  const path = segments(name);
  if (pat.length > path.length) return undefined;
  const vars: Record<string, string> = {};
  for (let i = 0; i < pat.length; i++) {
    const p = pat[i] ?? "";
    const s = path[i] ?? "";
    if (p === "*") continue;
    const keys = [...p.matchAll(CAPTURE_RE)].map((m) => m[1] ?? "");
    if (keys.length === 0) {
      if (p !== s) return undefined;
      continue;
    }
    let source = "";
    let last = 0;
    for (const m of p.matchAll(CAPTURE_RE)) {
      source += escapeRegex(p.slice(last, m.index)) + "(.*)";
      last = m.index + m[0].length;
    }
    const match = new RegExp(`^${source}${escapeRegex(p.slice(last))}$`, "s").exec(s);
    if (!match) return undefined;
    keys.forEach((k, j) => (vars[k] = match[j + 1] ?? ""));
  }
  return vars;
}

function substitute(template: string, vars: Record<string, string>): string {
  return template.replace(CAPTURE_RE, (all, k: string) => vars[k] ?? all);
}

function overlay<T extends object>(base: T, entry: object): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(entry)) {
    if (k === "prefix" || v === undefined) continue;
    if (k === "retries" && typeof v === "object" && v !== null) {
      out.retries = { ...(out.retries as object), ...definedOnly(v) };
    } else out[k] = v;
  }
  return out as T;
}

function definedOnly(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * The service params for a logical name (e.g. `/svc/hello`).
 *
 * @param service The router's `service` block.
 * @param name The service name, shown (`/svc/hello`).
 * @returns Fully defaulted params.
 * @example
 * ```ts
 * import { serviceBlockSchema } from "./service_schema.ts";
 * import { resolveServiceParams } from "./prefix_params.ts";
 * const svc = serviceBlockSchema.parse({ kind: "io.l5d.static", configs: [{ prefix: "/svc/foo", totalTimeoutMs: 500 }] });
 * resolveServiceParams(svc, "/svc/foo").totalTimeoutMs; // 500
 * ```
 */
export function resolveServiceParams(service: ServiceConfig, name: string): ServiceParams {
  if (service.kind === "io.l5d.global") {
    const { kind: _kind, ...params } = service;
    return params;
  }
  let params = defaultServiceParams();
  for (const entry of service.configs) {
    if (matchPrefix(entry.prefix, name)) params = overlay(params, entry);
  }
  return params;
}

/**
 * The client params for a bound client id (e.g. `/#/io.l5d.fs/hello`, `/$/inet/host/80`).
 *
 * @param client The router's `client` block.
 * @param id The client id, shown.
 * @returns Fully defaulted params; `tls.commonName` has its `{captures}` substituted.
 * @example
 * ```ts
 * import { clientBlockSchema } from "./client_schema.ts";
 * import { resolveClientParams } from "./prefix_params.ts";
 * resolveClientParams(clientBlockSchema.parse({}), "/#/io.l5d.fs/a").loadBalancer.kind; // "p2c"
 * ```
 */
export function resolveClientParams(client: ClientConfig, id: string): ClientParams {
  if (client.kind === "io.l5d.global") {
    const { kind: _kind, ...params } = client;
    return params;
  }
  let params = defaultClientParams();
  for (const entry of client.configs) {
    const vars = matchPrefix(entry.prefix, id);
    if (!vars) continue;
    params = overlay(params, entry);
    // The docs' `maxHeaderListByts` and Linkerd's `maxHeaderListBytes` are one key: the later
    // entry's value wins whichever spelling it uses.
    if (entry.maxHeaderListByts !== undefined && entry.maxHeaderListBytes === undefined) {
      params = { ...params, maxHeaderListBytes: entry.maxHeaderListByts };
    }
    if (entry.tls?.commonName !== undefined) {
      params = {
        ...params,
        tls: { ...entry.tls, commonName: substitute(entry.tls.commonName, vars) },
      };
    }
  }
  return params;
}
