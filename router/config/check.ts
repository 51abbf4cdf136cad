/**
 * `switchyard check CONFIG`: validate a config file without starting anything. Exit code 0 with
 * a short summary (routers, listeners, identifiers, dtab size, namers, telemetry) and any lint
 * warnings; exit code 1 with every problem as `file:line:col: path: message`.
 *
 * @example
 * ```ts ignore
 * import { checkCommand } from "./check.ts";
 * Deno.exit(await checkCommand("linkerd.yaml", console.log));
 * ```
 *
 * @module
 */
import { formatIssue, invalidFix } from "./issues.ts";
import { loadConfigFile } from "./load.ts";
import { environmentIssues } from "./environment.ts";
import { configHash } from "./config_hash.ts";
import type { Config } from "./schema.ts";
import { parseDtab } from "../dtab/mod.ts";
import { reportRouting } from "../cli/check_report.ts";

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function dentries(dtab: string): number {
  try {
    return parseDtab(dtab).length;
  } catch {
    return 0;
  }
}

/**
 * A few lines describing a loaded config, for `check` and for startup logs.
 *
 * @param config A parsed config.
 * @returns Lines without trailing newlines.
 * @example
 * ```ts
 * import { configSchema } from "./schema.ts";
 * import { summarizeConfig } from "./check.ts";
 * summarizeConfig(configSchema.parse({ routers: [{ protocol: "http", servers: [{}] }] }));
 * // ["admin 127.0.0.1:9990", "router http (http) on 127.0.0.1:4140; identifier io.l5d.header.token; dtab 0 dentries", ...]
 * ```
 */
export function summarizeConfig(config: Config): string[] {
  const lines = [`admin ${config.admin.ip}:${config.admin.port}`];
  for (const r of config.routers) {
    const listeners = r.servers.map((s) => `${s.ip}:${s.port}${s.tls ? " (tls)" : ""}`).join(", ");
    const ids = r.identifier.map((i) => i.kind).join(", ");
    const n = dentries(r.dtab);
    const own = plural(n, "dentry").replace("dentrys", "dentries");
    // io.l5d.fs: the file's dentries first, then the router's own (which win), as in Linkerd.
    const then = n > 0 ? `, then ${own}` : "";
    const interp = r.interpreter.kind === "io.l5d.fs"
      ? `dtab from ${r.interpreter.dtabFile}${then}`
      : r.interpreter.kind === "io.l5d.k8s.configMap" // read at run time, through the k8s API
      ? `dtab from ConfigMap ${r.interpreter.namespace}/${r.interpreter.name} key ${r.interpreter.filename}${then}`
      : r.interpreter.kind === "io.l5d.consul.interpreter" // read at run time, from the agent
      ? `dtab from Consul KV ${
        r.interpreter.pathPrefix.replace(/\/+$/, "")
      }/${r.interpreter.namespace} at ${r.interpreter.host ?? "localhost"}:${
        r.interpreter.port ?? 8500
      }${then}`
      : `dtab ${own}`;
    lines.push(`router ${r.label} (${r.protocol}) on ${listeners}; identifier ${ids}; ${interp}`);
  }
  for (const n of config.namers) {
    const detail = n.kind === "io.l5d.fs"
      ? `rootDir ${n.rootDir}`
      : n.kind === "io.l5d.rewrite"
      ? `${n.pattern} => ${n.name}`
      : n.kind === "io.l5d.dnssrv" // k8s
      ? `dns ${n.dnsHosts?.join(" ") ?? "system resolver"}`
      : n.kind === "io.l5d.consul"
      ? `agent ${n.host ?? "localhost"}:${n.port ?? 8500}`
      : n.kind === "io.l5d.marathon"
      ? `api ${n.dst ?? `${n.host ?? "marathon.mesos"}:${n.port ?? 80}`}${
        n.tls ? " (tls)" : ""
      }, ` +
        `every ${n.ttlMs ?? 5000} ms`
      : `api ${n.host ?? "default"}:${n.port ?? "default"}`; // k8s
    lines.push(`namer ${n.kind} at /#${n.prefix} (${detail})`);
  }
  if (config.telemetry.length > 0) {
    lines.push(`telemetry ${config.telemetry.map((t) => t.kind).join(", ")}`);
  }
  if (config.services.length > 0) {
    lines.push(`services ${config.services.map((s) => s.name).join(", ")}`);
  }
  return lines;
}

/**
 * Run `check` on a file (`-` = stdin) and print through `out`.
 *
 * @param file The config path.
 * @param out Receives one line per call.
 * @returns The exit code: 0 valid, 1 invalid or unreadable.
 * @example
 * ```ts ignore
 * import { checkCommand } from "./check.ts";
 * const code = await checkCommand("linkerd.yaml", (l) => console.log(l));
 * ```
 */
export async function checkCommand(file: string, out: (line: string) => void): Promise<number> {
  const loaded = await loadConfigFile(file);
  // What `serve` would refuse at start: unsupported TLS features and a bad dtabFile fail `check`
  // too; what only this machine lacks (a rootDir, a mounted file) is a warning. At the key.
  const env = loaded.ok ? environmentIssues(loaded.config, loaded.text, loaded.file) : undefined;
  const result = env && env.errors.length > 0
    ? { ok: false as const, errors: env.errors, file: loaded.file }
    : loaded;
  if (!result.ok) {
    for (const issue of result.errors) out(formatIssue(issue));
    out(`${result.file}: invalid, ${plural(result.errors.length, "error")}`);
    out(invalidFix(result.file));
    return 1;
  }
  const version = (await configHash(result.text)).slice(0, 12);
  out(`${result.file}: ok (config version ${version})`);
  for (const line of summarizeConfig(result.config)) out(`  ${line}`);
  for (const w of result.warnings) out(`warning: ${w}`);
  for (const w of env?.warnings ?? []) out(`warning: ${formatIssue(w)}`);
  return reportRouting(result, out); // issue 5: routing lints, route patterns, compiled dtabs
}
