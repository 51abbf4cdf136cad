/**
 * From a validated `io.l5d.marathon` config entry to a running namer (L1
 * `namer/marathon/.../MarathonInitializer.scala` `MarathonConfig.newNamer`). Keys and defaults:
 * `host` (`marathon.mesos`, also the `Host` header), `port` (80), `dst` (the API's address as a
 * path, default `/$/inet/<host>/<port>`; only that `/$/inet` form is supported), `uriPrefix`
 * (none), `ttlMs` (5000), `jitterMs` (50), `useHealthCheck` (false) and `tls` (a client TLS
 * block: `commonName`, `trustCertsBundle` / `trustCerts`; `clientAuth` is ignored, as in Linkerd).
 * Credentials come from the environment (`auth.ts`).
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import { authFromEnv } from "./auth.ts";
import { createMarathonApi } from "./api.ts";
import { createMarathonNamer, type MarathonNamer } from "./namer.ts";

/**
 * The kind's own keys, validated (`schema.ts`, `router/config/namer_schema.ts`): `dst` is
 * `/$/inet/<host>/<port>` and `tls.disableValidation` is not `true` (the schema reports those at
 * their line:column; this file trusts it).
 */
export interface MarathonNamerConfig {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly dst?: string | undefined;
  readonly uriPrefix?: string | undefined;
  readonly ttlMs?: number | undefined;
  readonly jitterMs?: number | undefined;
  readonly useHealthCheck?: boolean | undefined;
  readonly tls?: {
    readonly enabled?: boolean | undefined;
    readonly disableValidation?: boolean | undefined;
    readonly commonName?: string | undefined;
    readonly trustCertsBundle?: string | undefined;
    readonly trustCerts?: readonly string[] | undefined;
    readonly caCertPath?: string | undefined;
  } | undefined;
}

/** What the factory gets besides the config. */
export interface MarathonFactoryContext {
  readonly clock?: Clock | undefined;
  readonly env?: ((name: string) => string | undefined) | undefined;
}

const INET = /^\/\$\/inet\/([^/]+)\/(\d+)\/?$/;

function connectTarget(c: MarathonNamerConfig): { host: string; port: number } {
  const host = c.host ?? "marathon.mesos";
  if (c.dst === undefined) return { host, port: c.port ?? 80 };
  const m = INET.exec(c.dst);
  if (!m) throw new Error(`io.l5d.marathon: dst ${c.dst} was not validated (schema.ts)`);
  return { host: m[1] as string, port: Number(m[2]) };
}

function caFiles(c: MarathonNamerConfig): string[] {
  const t = c.tls;
  if (!t) return [];
  return [
    ...(t.trustCertsBundle ? [t.trustCertsBundle] : []),
    ...(t.caCertPath ? [t.caCertPath] : []),
    ...(t.trustCerts ?? []),
  ];
}

function tlsOn(c: MarathonNamerConfig): boolean {
  return c.tls !== undefined && c.tls.enabled !== false;
}

/**
 * What a schema cannot see: an unreadable CA file, a bad DC/OS credential (`dst` and
 * `tls.disableValidation` are the schema's).
 *
 * @param config The validated entry.
 * @param ctx The environment.
 * @returns The bad key (relative to the entry) and why, or `undefined`.
 */
export function marathonConfigProblem(
  config: MarathonNamerConfig,
  ctx: MarathonFactoryContext,
): { key: string; message: string } | undefined {
  if (tlsOn(config)) {
    for (const f of caFiles(config)) {
      try {
        Deno.readTextFileSync(f);
      } catch (e: unknown) {
        return { key: "tls", message: `cannot read ${f}: ${e instanceof Error ? e.message : e}` };
      }
    }
  }
  try {
    authFromEnv(ctx.env ?? ((k) => Deno.env.get(k)));
  } catch (e: unknown) {
    return { key: "kind", message: e instanceof Error ? e.message : String(e) };
  }
  return undefined;
}

/**
 * Build the namer of a config checked by {@linkcode marathonConfigProblem}.
 *
 * @param config The validated entry.
 * @param ctx Clock and environment.
 * @returns The namer.
 * @example
 * ```ts
 * import { makeMarathonNamer } from "./factory.ts";
 * const namer = makeMarathonNamer({ host: "127.0.0.1", port: 8080 }, { env: () => undefined });
 * await namer.close();
 * ```
 */
export function makeMarathonNamer(
  config: MarathonNamerConfig,
  ctx: MarathonFactoryContext,
): MarathonNamer {
  const host = config.host ?? "marathon.mesos";
  const target = connectTarget(config);
  const tls = tlsOn(config)
    ? {
      serverName: config.tls?.commonName ?? target.host,
      caCerts: caFiles(config).map((f) => Deno.readTextFileSync(f)),
    }
    : undefined;
  const api = createMarathonApi({
    host,
    connectHost: target.host,
    connectPort: target.port,
    uriPrefix: config.uriPrefix ?? "",
    useHealthCheck: config.useHealthCheck ?? false,
    tls,
    auth: authFromEnv(ctx.env ?? ((k) => Deno.env.get(k))),
  });
  return createMarathonNamer({
    api,
    ...(config.ttlMs !== undefined ? { ttlMs: config.ttlMs } : {}),
    ...(config.jitterMs !== undefined ? { jitterMs: config.jitterMs } : {}),
    clock: ctx.clock,
  });
}
