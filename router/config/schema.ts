/**
 * The whole Switchyard config: Linkerd 1.x's top level (`admin`, `routers` (required, non-empty),
 * `namers`, `telemetry`, `usage`) plus Switchyard's `services`. This file only composes the area
 * schemas and adds the checks that span areas: unique router labels, unique namer prefixes, no
 * two listeners on one address, `services[].routers` naming real routers.
 *
 * Reading a parsed {@linkcode Config}:
 * - `config.routers[i]`: `protocol` (`"http"`), `label`, `servers[]` (`ip`, `port`, `tls?`, …),
 *   `dtab` (text, already validated), `dstPrefix`, `identifier` (always a non-empty list),
 *   `interpreter`, `service` / `client` (`kind` `io.l5d.global` with params, or `io.l5d.static`
 *   with `configs`; use `resolveServiceParams` / `resolveClientParams` for one name).
 * - `config.namers[]`, `config.telemetry[]`: discriminated by `kind`.
 * - `config.admin`: `ip`, `port`, …; `config.services[]`: versions and failover.
 *
 * @example
 * ```ts
 * import { configSchema } from "./schema.ts";
 * const c = configSchema.parse({ routers: [{ protocol: "http", servers: [{}] }] });
 * console.log(c.admin.port, c.routers[0]?.servers[0]?.port); // 9990 4140
 * ```
 *
 * @module
 */
import { z } from "zod";
import { adminSchema } from "./admin_schema.ts";
import { namerSchema, transformerSchema } from "./namer_schema.ts";
import { telemeterSchema, usageSchema } from "./telemeter_schema.ts";
import {
  forwardedLabelerSchema,
  interpreterUnion,
  routerSchema,
  tracePropagatorSchema,
} from "./router_schema.ts";
import { identifierSchema } from "./identifier_schema.ts";
import { responseClassifierSchema, serviceUnion } from "./service_schema.ts";
import { clientUnion, failureAccrualSchema, loadBalancerSchema } from "./client_schema.ts";
import { backoffSchema } from "./common_schema.ts";
import { serviceDefSchema } from "./services_schema.ts";
import type { PluginArea } from "./kinds.ts";

type Listener = { ip: string; port: number; path: (string | number)[]; what: string };

const WILDCARDS = new Set(["0.0.0.0", "::", "[::]", "*"]);

function normalizeIp(ip: string): string {
  return ip === "localhost" ? "127.0.0.1" : ip;
}

function conflicts(a: Listener, b: Listener): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  const x = normalizeIp(a.ip);
  const y = normalizeIp(b.ip);
  return x === y || WILDCARDS.has(x) || WILDCARDS.has(y);
}

function duplicates<T>(
  items: readonly T[],
  key: (t: T) => string | undefined,
  report: (index: number, firstIndex: number, key: string) => void,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else report(i, first, k);
  });
}

const topLevel = z.strictObject({
  admin: adminSchema,
  routers: z.array(routerSchema).min(1, { error: "at least one router is required" }),
  namers: z.array(namerSchema).default([]),
  telemetry: z.array(telemeterSchema).default([]),
  usage: usageSchema.prefault({}),
  services: z.array(serviceDefSchema).default([]),
});

function crossChecks(c: z.infer<typeof topLevel>, ctx: z.RefinementCtx): void {
  const add = (issue: { path: (string | number)[]; message: string }) =>
    ctx.addIssue({ code: "custom", input: c, path: issue.path, message: issue.message });

  duplicates(c.routers, (r) => r.label, (i, first, label) =>
    add({
      path: ["routers", i, "label"],
      message: `duplicate router label ${JSON.stringify(label)} (also routers[${first}]); ` +
        "give each router a distinct label",
    }));

  c.routers.forEach((r, i) => {
    if (
      r.protocol === "http" && !r.streamingEnabled && r.streamAfterContentLengthKB !== undefined
    ) {
      add({
        path: ["routers", i, "streamAfterContentLengthKB"],
        message: "Conflicting streaming options set. Can't disable streaming and set " +
          `streamAfterContentLengthKB in ${r.label}`,
      });
    }
  });

  const listeners: Listener[] = [
    { ip: c.admin.ip, port: c.admin.port, path: ["admin", "port"], what: "admin" },
  ];
  if (c.admin.httpIdentifierPort !== undefined) {
    listeners.push({
      ip: c.admin.ip,
      port: c.admin.httpIdentifierPort,
      path: ["admin", "httpIdentifierPort"],
      what: "admin.httpIdentifierPort",
    });
  }
  c.routers.forEach((r, i) =>
    r.servers.forEach((s, j) =>
      listeners.push({
        ip: s.ip,
        port: s.port,
        path: ["routers", i, "servers", j, "port"],
        what: `routers[${i}].servers[${j}]`,
      })
    )
  );
  listeners.forEach((l, i) => {
    const other = listeners.slice(0, i).find((o) => conflicts(o, l));
    if (other) {
      add({
        path: l.path,
        message: `${l.ip}:${l.port} conflicts with ${other.what} (${other.ip}:${other.port})`,
      });
    }
  });

  duplicates(c.services, (s) => s.name, (i, first, name) =>
    add({
      path: ["services", i, "name"],
      message: `duplicate service ${name} (also services[${first}])`,
    }));
  const labels = new Set(c.routers.map((r) => r.label));
  c.services.forEach((s, i) =>
    s.routers?.forEach((label, j) => {
      if (!labels.has(label)) {
        add({
          path: ["services", i, "routers", j],
          message: `no router is labelled ${JSON.stringify(label)} (routers: ${
            [...labels].join(", ")
          })`,
        });
      }
    })
  );
}

/** The whole config file. */
export const configSchema = topLevel.superRefine(crossChecks);

/**
 * A parsed, defaulted, validated config. `source` is the document as the loader read it (before
 * defaults; quoted numbers read as numbers), which `/config.json` re-serializes as Linkerd does
 * (`linkerd_config_json.ts`); a config built in code has none.
 */
export type Config = z.infer<typeof configSchema> & { readonly source?: unknown };

type Literalish = { value: unknown };
type Union = { options: readonly { shape: Record<string, unknown> }[] };

function kindsOf(union: Union, key = "kind"): string[] {
  return union.options.map((o) => String((o.shape[key] as Literalish).value));
}

/**
 * The kinds each plugin area accepts, read from the schemas themselves (the counterpart of
 * `unsupportedKinds` in `kinds.ts`).
 */
export const supportedKinds: Readonly<Record<PluginArea, readonly string[]>> = {
  protocol: kindsOf(routerSchema, "protocol"),
  namer: kindsOf(namerSchema),
  interpreter: kindsOf(interpreterUnion),
  transformer: kindsOf(transformerSchema), // k8s
  identifier: kindsOf(identifierSchema),
  telemeter: kindsOf(telemeterSchema),
  announcer: [],
  requestAuthorizer: [],
  responseClassifier: kindsOf(responseClassifierSchema),
  failureAccrual: kindsOf(failureAccrualSchema),
  loadBalancer: kindsOf(loadBalancerSchema),
  backoff: kindsOf(backoffSchema),
  service: kindsOf(serviceUnion),
  client: kindsOf(clientUnion),
  tracePropagator: kindsOf(tracePropagatorSchema),
  forwardedLabeler: kindsOf(forwardedLabelerSchema),
};
