/**
 * What machine and software a benchmark ran on: CPU model and count, memory, kernel, load at the
 * start, tool versions (Deno, nginx, HAProxy, wrk, Caddy) and the git commit of the tree.
 *
 * @module
 */
import { ROOT } from "./servers.ts";

/** The environment of a run. */
export interface EnvInfo {
  readonly date: string;
  readonly host: string;
  readonly cpu_model: string;
  readonly cpus: number;
  readonly mem_gib: number;
  readonly loadavg: string;
  readonly deno: string;
  readonly nginx: string;
  readonly haproxy: string;
  readonly wrk: string;
  readonly caddy: string;
  readonly git: string;
}

async function run(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", cwd: ROOT })
      .output();
    const dec = new TextDecoder();
    return (dec.decode(out.stdout) + dec.decode(out.stderr)).trim();
  } catch {
    return "";
  }
}

function readOr(file: string, fallback = ""): string {
  try {
    return Deno.readTextFileSync(file);
  } catch {
    return fallback;
  }
}

/**
 * Collect the environment.
 *
 * @returns versions and machine facts ("" where unknown)
 */
export async function envInfo(): Promise<EnvInfo> {
  const cpuinfo = readOr("/proc/cpuinfo");
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "";
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(readOr("/proc/meminfo"))?.[1] ?? 0);
  const [nginx, haproxy, wrk, caddy, head, dirty, uname] = await Promise.all([
    run("nginx", ["-v"]),
    run("haproxy", ["-v"]),
    run("wrk", ["-v"]),
    run("caddy", ["version"]),
    run("git", ["rev-parse", "--short", "HEAD"]),
    run("git", ["status", "--porcelain"]),
    run("uname", ["-srm"]),
  ]);
  return {
    date: new Date().toISOString(),
    host: uname,
    cpu_model: model,
    cpus: navigator.hardwareConcurrency,
    mem_gib: Math.round(memKb / 1024 / 1024),
    loadavg: readOr("/proc/loadavg").split(" ").slice(0, 3).join(" "),
    deno: Deno.version.deno,
    nginx: nginx.replace(/^.*version: /s, "").split("\n")[0] ?? "",
    haproxy: /HAProxy version (\S+)/.exec(haproxy)?.[1] ?? "",
    wrk: /^wrk (\S+)/.exec(wrk)?.[1] ?? "",
    caddy: caddy.split("\n")[0] ?? "",
    git: head ? `${head}${dirty ? " (with uncommitted changes)" : ""}` : "",
  };
}
