/**
 * What `serve` would refuse at start beyond the schema, found by `switchyard check`:
 *
 * - errors (the config cannot work anywhere): `requireClientAuth` where Switchyard cannot check
 *   client certificates (the admin server, an `engine: serve` listener), refused rather than
 *   ignored;
 *   a readable `io.l5d.fs` interpreter `dtabFile` that is not a valid dtab (reported at the dtab
 *   file's own line and column);
 * - warnings (this machine lacks something the target machine may have, e.g. a ConfigMap
 *   mounted in the pod): an `io.l5d.fs` namer's `rootDir` that is not a directory, an unreadable
 *   `dtabFile`, TLS certificate, key or CA file (an `io.l5d.marathon` namer's too), an
 *   `io.l5d.k8s.configMap` interpreter's
 *   `useServiceAccount` outside a pod.
 *
 * Paths are relative to the working directory, as `serve` reads them.
 *
 * @example
 * ```ts
 * import { environmentIssues } from "./environment.ts";
 * import { parseConfig } from "./load.ts";
 * const text = "namers: [{kind: io.l5d.fs, rootDir: /no/such/dir}]\n" +
 *   "routers: [{protocol: http, servers: [{port: 4140}]}]\n";
 * const r = parseConfig(text, "l5d.yaml");
 * if (r.ok) console.log(environmentIssues(r.config, text, "l5d.yaml").warnings[0]?.message);
 * // "/no/such/dir is not a directory here"
 * ```
 *
 * @module
 */
import { LineCounter, parseDocument } from "yaml";
import type { Config } from "./schema.ts";
import type { ConfigIssue } from "./issues.ts";
import { locate } from "./yaml_positions.ts";
import { parseDtab } from "../dtab/dtab.ts";
import { dtabFileError } from "../dtab/error_text.ts";
import { resolveK8sEndpoint } from "../../discovery/k8s/api.ts";

type Path = readonly (string | number)[];

function formatPath(path: Path): string {
  return path.map((p, i) => typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`).join("");
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The config's requirements on the machine that are not met, each at its key's position.
 *
 * @param config a config `parseConfig` accepted
 * @param text the config's text (for positions)
 * @param file the name to report
 * @returns the errors and the warnings, each in config order
 */
export function environmentIssues(
  config: Config,
  text: string,
  file: string,
): { errors: ConfigIssue[]; warnings: ConfigIssue[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, merge: true });
  const errors: ConfigIssue[] = [], warnings: ConfigIssue[] = [];
  const issue = (path: Path, message: string): ConfigIssue => {
    const { line, col } = lc.linePos(locate(doc, path).offset);
    return { file, line, column: col, path: formatPath(path), message };
  };
  const at = (path: Path, message: string) => errors.push(issue(path, message));
  const missing = (path: Path, message: string) => warnings.push(issue(path, message));
  const readable = (path: Path, name: string | undefined) => {
    if (name === undefined) return;
    try {
      Deno.readFileSync(name);
    } catch (e: unknown) {
      missing(path, `cannot read ${name} here: ${reason(e)}`);
    }
  };
  const serverTls = (
    base: Path,
    tls: { certPath: string; keyPath: string } | undefined,
    engine?: string,
  ) => {
    if (!tls) return;
    const t = tls as {
      certPath: string;
      keyPath: string;
      requireClientAuth?: boolean;
      caCertPath?: string;
      intermediateCertsPath?: string;
    };
    // Client certificates are checked by node:tls on the raw and h2 engines only.
    if (t.requireClientAuth && (base[0] === "admin" || engine === "serve")) {
      at(
        [...base, "requireClientAuth"],
        base[0] === "admin"
          ? "client certificate checks are not supported on the admin server"
          : "client certificate checks need engine: raw (the default), not engine: serve",
      );
    }
    readable([...base, "certPath"], t.certPath);
    readable([...base, "keyPath"], t.keyPath);
    readable([...base, "intermediateCertsPath"], t.intermediateCertsPath);
    readable([...base, "caCertPath"], t.caCertPath);
  };
  const clientTls = (base: Path, tls: unknown) => {
    const auth = (tls as { clientAuth?: Record<string, string> } | undefined)?.clientAuth;
    if (!auth) return;
    readable([...base, "clientAuth", "certPath"], auth.certPath);
    readable([...base, "clientAuth", "keyPath"], auth.keyPath);
    readable([...base, "clientAuth", "intermediateCertsPath"], auth.intermediateCertsPath);
  };

  config.namers.forEach((n, i) => {
    if (n.kind === "io.l5d.marathon" && n.tls && n.tls.enabled !== false) {
      // serve reads the API's CA files at start (discovery/marathon/factory.ts)
      const base: Path = ["namers", i, "tls"];
      readable([...base, "trustCertsBundle"], n.tls.trustCertsBundle);
      readable([...base, "caCertPath"], n.tls.caCertPath);
      n.tls.trustCerts?.forEach((f, j) => readable([...base, "trustCerts", j], f));
    }
    if (n.kind !== "io.l5d.fs") return;
    const dir = (n as { rootDir: string }).rootDir;
    let isDir = false;
    try {
      isDir = Deno.statSync(dir).isDirectory;
    } catch {
      // reported below
    }
    if (!isDir) missing(["namers", i, "rootDir"], `${dir} is not a directory here`);
  });
  serverTls(["admin", "tls"], config.admin.tls);
  config.routers.forEach((r, i) => {
    const interp = r.interpreter as { kind?: string; dtabFile?: string } | undefined;
    if (interp?.kind === "io.l5d.fs" && interp.dtabFile !== undefined) {
      const where: Path = ["routers", i, "interpreter", "dtabFile"];
      let dtab: string | undefined;
      try {
        dtab = Deno.readTextFileSync(interp.dtabFile);
      } catch (e: unknown) {
        missing(where, `cannot read ${interp.dtabFile} here: ${reason(e)}`);
      }
      if (dtab !== undefined) {
        try {
          parseDtab(dtab);
        } catch (e: unknown) {
          at(where, dtabFileError(interp.dtabFile, dtab, e)); // the dtab file's own position
        }
      }
    }
    if (r.interpreter.kind === "io.l5d.k8s.configMap") {
      // The API endpoint it would use here (`useServiceAccount: true` needs a pod's environment).
      const { host, port, useServiceAccount } = r.interpreter;
      try {
        resolveK8sEndpoint({ host, port, useServiceAccount });
      } catch (e: unknown) {
        missing(["routers", i, "interpreter", "useServiceAccount"], reason(e));
      }
    }
    r.servers.forEach((s, j) =>
      serverTls(["routers", i, "servers", j, "tls"], s.tls, "engine" in s ? s.engine : undefined)
    );
    const client = r.client as { tls?: unknown; configs?: { tls?: unknown }[] } | undefined;
    clientTls(["routers", i, "client", "tls"], client?.tls);
    client?.configs?.forEach((c, k) =>
      clientTls(["routers", i, "client", "configs", k, "tls"], c.tls)
    );
  });
  return { errors, warnings };
}
