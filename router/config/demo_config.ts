/**
 * The embedded default config that `switchyard demo` (and `deno task start`) runs: the
 * linkerd-examples hello/world setup on one machine — an `outgoing` http router on
 * `127.0.0.1:4140` whose dtab sends `/svc/<host>` to the `io.l5d.fs` namer, and the admin
 * server on `127.0.0.1:9990`.
 *
 * @example
 * ```ts
 * import { demoConfigYaml } from "./demo_config.ts";
 * import { parseConfig } from "./load.ts";
 * const r = parseConfig(demoConfigYaml({ rootDir: "/tmp/disco" }), "<demo>");
 * console.log(r.ok); // true
 * ```
 *
 * @module
 */
import { defaults } from "./defaults.ts";

/** Parameters of the demo config. */
export interface DemoConfigOptions {
  /** Directory of the fs namer (one file per service: `hello`, `world`). */
  readonly rootDir: string;
  /** Port of the outgoing router; 4140 by default. */
  readonly routerPort?: number;
  /** Port of the admin server; 9990 by default. */
  readonly adminPort?: number;
  /** Address the router and the admin server bind; 127.0.0.1 by default. */
  readonly ip?: string;
}

/**
 * The demo config as YAML text (so `/config.json` and `switchyard check` see a real file).
 *
 * @param opts Namer directory, ports and bind address.
 * @returns YAML text.
 * @example
 * ```ts
 * import { demoConfigYaml } from "./demo_config.ts";
 * const yaml = demoConfigYaml({ rootDir: "/tmp/disco", routerPort: 0, adminPort: 0 });
 * ```
 */
export function demoConfigYaml(opts: DemoConfigOptions): string {
  const routerPort = opts.routerPort ?? defaults.http.port;
  const adminPort = opts.adminPort ?? defaults.admin.port;
  const ip = JSON.stringify(opts.ip ?? defaults.http.ip);
  return [
    "# Switchyard demo: linkerd-examples' hello/world on one machine.",
    `# Try: http_proxy=${opts.ip ?? defaults.http.ip}:${routerPort} curl -s http://hello`,
    "admin:",
    `  ip: ${ip}`,
    `  port: ${adminPort}`,
    "",
    "namers:",
    "- kind: io.l5d.fs",
    `  rootDir: ${JSON.stringify(opts.rootDir)}`,
    "",
    "routers:",
    "- protocol: http",
    "  label: outgoing",
    "  dtab: |",
    "    /svc => /#/io.l5d.fs;",
    "  servers:",
    `  - ip: ${ip}`,
    `    port: ${routerPort}`,
    "",
    "telemetry:",
    "- kind: io.l5d.prometheus # /admin/metrics/prometheus (Linkerd's shape)",
    "",
  ].join("\n");
}
