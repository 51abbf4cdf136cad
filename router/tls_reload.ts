/**
 * Certificate reloading for TLS listeners (`servers[].tls`, `admin.tls`). Linkerd 1.x's Finagle
 * server reads `certPath`, `keyPath` (and `caCertPath`) for each new connection, so replacing
 * the files (cert-manager, a Kubernetes Secret volume's `..data` symlink swap) is served at
 * once with no restart (linkerd/linkerd `TlsCertReloadingTest`). Switchyard watches the files'
 * directories (and the directories of any symlink on their way, as the config watch does),
 * polls them as a fallback, and hands a changed certificate and key to the listener, which serves
 * it to new connections.
 *
 * A new set that cannot be served (the key is not the certificate's, a PEM that does not parse,
 * a missing file) keeps the old certificate serving and is logged as an error, once; a
 * rotation's half-written state (the certificate replaced, the key not yet) is read again after
 * `settleMs` before it counts as a failure.
 *
 * @module
 */
import { watchFiles } from "../discovery/dir_watch.ts";
import { checkServerTls, type ServerTls } from "./http/node_tls.ts";
import type { Logger } from "../telemetry/log.ts";

/** Options of {@linkcode watchServerTls}. */
export interface TlsReloadOptions {
  /** The certificate, key, intermediate and CA files (asked again at each check). */
  paths(): readonly string[];
  /** Read the files into what the listener serves. Throws when one cannot be read. */
  read(): ServerTls;
  /** Serve `tls` to new connections. Throws when it cannot (the old one keeps serving). */
  apply(tls: ServerTls): void;
  /** What is served now. */
  readonly initial: ServerTls;
  readonly log: Logger;
  /** Log fields naming the listener (`router`, `port`; `admin`). */
  readonly where: Record<string, unknown>;
  /** Quiet time after a file event before the files are read, default 100 ms. */
  readonly debounceMs?: number;
  /** Poll interval (a missed event), default 1000 ms; 0: no poll. */
  readonly pollMs?: number;
  /** A failing set is read again after this long before it is reported, default 500 ms. */
  readonly settleMs?: number;
}

/** A running watch. */
export interface TlsReload {
  /** Read the files now, and watch them again (e.g. after a config reload changed the paths). */
  check(): Promise<void>;
  /** Stop watching. */
  close(): void;
}

/** What decides whether a listener must change: the PEM texts it serves. */
function signature(tls: ServerTls): string {
  return `${tls.cert}\0${tls.key}\0${tls.ca ?? ""}`;
}

/**
 * Watch a TLS listener's files and serve a changed certificate and key to new connections.
 *
 * @param opts the files, how to read and apply them, where to log
 * @returns the watch
 * @example
 * ```ts ignore
 * const w = watchServerTls({ paths: () => [cert, key], read, apply, initial, log, where: {} });
 * w.close();
 * ```
 */
export function watchServerTls(opts: TlsReloadOptions): TlsReload {
  const debounceMs = opts.debounceMs ?? 100;
  const pollMs = opts.pollMs ?? 1000;
  const settleMs = opts.settleMs ?? 500;
  let serving = signature(opts.initial);
  /** The failure last reported (not reported again until something else happens). */
  let reported: string | undefined;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;

  /** One attempt: undefined when served (or unchanged), else what went wrong. */
  async function attempt(): Promise<{ key: string; error: string } | undefined> {
    let next: ServerTls;
    try {
      next = opts.read();
    } catch (e: unknown) {
      const error = e instanceof Error ? e.message : String(e);
      return { key: `read:${error}`, error };
    }
    const sig = signature(next);
    if (sig === serving) {
      reported = undefined;
      return undefined;
    }
    try {
      await checkServerTls(next);
      opts.apply(next);
    } catch (e: unknown) {
      return { key: `sig:${sig}`, error: e instanceof Error ? e.message : String(e) };
    }
    serving = sig;
    reported = undefined;
    opts.log.info("TLS certificate reloaded: new connections get it", {
      ...opts.where,
      files: opts.paths().join(", "),
    });
    return undefined;
  }

  async function run(): Promise<void> {
    if (closed) return;
    let failed = await attempt();
    if (failed === undefined || failed.key === reported) return;
    // A rotation in progress (the certificate written, the key not yet): look again shortly.
    await new Promise((r) => setTimeout(r, settleMs));
    if (closed) return;
    failed = await attempt();
    if (failed === undefined || failed.key === reported) return;
    reported = failed.key;
    opts.log.error("TLS certificate reload failed; the old certificate keeps serving", {
      ...opts.where,
      files: opts.paths().join(", "),
      error: failed.error,
    });
  }

  function check(): Promise<void> {
    const next = chain.then(run).catch((e: unknown) => {
      opts.log.error("TLS certificate reload failed", { ...opts.where, error: e });
    });
    chain = next;
    return next;
  }

  // Each burst re-creates the watches: a watch follows symlinks once, so one on a directory
  // reached through a link would stay on the old target after a `..data` swap.
  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      files.rewatch();
      void check();
    }, debounceMs);
  }

  const files = watchFiles(opts.paths, schedule); // a directory it cannot watch: the poll

  // Poll fallback: a cheap stat of each file (through its links), a read only when it changed.
  const statSig = async (): Promise<string> => {
    let sig = "";
    for (const p of opts.paths()) {
      try {
        const s = await Deno.stat(p);
        sig += `${s.mtime?.getTime()}:${s.size}:${s.ino};`;
      } catch {
        sig += "missing;";
      }
    }
    return sig;
  };
  let lastStat: string | undefined;
  void statSig().then((s) => (lastStat ??= s));
  const poll = pollMs > 0
    ? setInterval(async () => {
      const s = await statSig();
      if (lastStat !== undefined && s !== lastStat) schedule();
      lastStat = s;
    }, pollMs)
    : undefined;
  if (poll !== undefined) Deno.unrefTimer(poll);

  return {
    check() {
      files.rewatch(); // the paths may have changed
      return check();
    },
    close() {
      closed = true;
      clearTimeout(timer);
      if (poll !== undefined) clearInterval(poll);
      files.close();
    },
  };
}
