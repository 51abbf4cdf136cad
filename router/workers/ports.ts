/**
 * Port-0 router servers under `--workers`: every worker must bind the *same* port, so the main
 * picks one per port-0 server before starting them (and keeps it across reloads).
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import type { PortOverride } from "./protocol.ts";

function freePort(ip: string): number {
  const l = Deno.listen({ hostname: ip, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Picks a real port for every configured port 0, reusing `previous` for the same router server.
 *
 * @param config The config.
 * @param previous Overrides already in use.
 * @returns One override per port-0 server.
 */
export function choosePorts(
  config: Config,
  previous: readonly PortOverride[] = [],
): PortOverride[] {
  const out: PortOverride[] = [];
  for (const rc of config.routers) {
    rc.servers.forEach((s, index) => {
      if (s.port !== 0) return;
      const old = previous.find((o) => o.label === rc.label && o.index === index);
      out.push({ label: rc.label, index, port: old?.port ?? freePort(s.ip) });
    });
  }
  return out;
}

/**
 * Applies overrides to a config.
 *
 * @param config The parsed config.
 * @param overrides From {@link choosePorts}.
 * @returns The config with those ports.
 */
export function applyPorts(config: Config, overrides: readonly PortOverride[]): Config {
  if (overrides.length === 0) return config;
  return {
    ...config,
    routers: config.routers.map((rc) =>
      ({
        ...rc,
        servers: rc.servers.map((s, index) => {
          const o = overrides.find((x) => x.label === rc.label && x.index === index);
          return o && s.port === 0 ? { ...s, port: o.port } : s;
        }),
      }) as typeof rc
    ),
  };
}
