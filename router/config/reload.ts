/**
 * Hot reload of the config file: watched (the directory, so editor write-rename and the
 * Kubernetes ConfigMap `..data` symlink swap are seen, and the directories holding any symlink
 * on the way to it, re-watched after each burst, so a ConfigMap item directory
 * `l5d -> ..data/l5d` is followed too), polled as a fallback, and triggered by
 * SIGHUP or `POST /admin/reload`. Debounced. A new version is parsed and validated first (by
 * default in a `config-json` child process, `child_load.ts`, so the serving process never loads
 * the parser); one that fails keeps the old config serving, and its errors (file:line:column,
 * key path, message) are kept for `/admin/reload`, the dashboard and the logs.
 *
 * @module
 */
import { configHash } from "./config_hash.ts";
import { type ConfigIssue, formatIssue } from "./issues.ts";
import type { Config } from "./schema.ts";
import type { ParseResult } from "./load.ts";
import { configLoader } from "./child_load.ts";
import type { Logger } from "../../telemetry/log.ts";
import type { AdminHandler } from "../../telemetry/admin/handler.ts";
import type { MetricsRegistry } from "../../telemetry/metrics/mod.ts";
import { watchFiles } from "../../discovery/dir_watch.ts";

/** What `/admin/reload` reports. */
export interface ReloadStatus {
  /** sha-256 of the config text now serving. */
  version: string;
  /** When the serving config was loaded (ISO). */
  loadedAt: string;
  /** Successful reloads since start. */
  reloads: number;
  /** Rejected reloads since start. */
  failures: number;
  /** The last attempt: when, and its errors (empty = it applied or changed nothing). */
  lastAttempt: { at: string; ok: boolean; errors: ConfigIssue[]; message: string } | null;
}

/** Result of one reload attempt. */
export type ReloadResult =
  | { readonly outcome: "applied"; readonly version: string }
  | { readonly outcome: "unchanged"; readonly version: string }
  | {
    readonly outcome: "rejected";
    readonly errors: readonly ConfigIssue[];
    readonly message: string;
  };

/** Options. */
export interface ReloaderOptions {
  /** The config file. */
  readonly path: string;
  /** The text now serving. */
  readonly text: string;
  /** Swap in a validated config (throws to reject it, e.g. a port that cannot be bound). */
  readonly apply: (config: Config, text: string) => Promise<void>;
  readonly log: Logger;
  /** Debounce for watch bursts (ms, default 100). */
  readonly debounceMs?: number;
  /** Poll interval (ms, default 1000; 0 = no polling). */
  readonly pollMs?: number;
  /** Also watch these files (e.g. an interpreter's dtabFile). */
  readonly extraPaths?: readonly string[];
  /** Called after every attempt (metrics). */
  readonly onAttempt?: (r: ReloadResult) => void;
  /** Parse and validate a new text (default: `configLoader().parse`, a `config-json` child). */
  readonly parse?: (text: string, file: string) => Promise<ParseResult>;
}

/** A running reloader. */
export interface Reloader {
  /** Re-read the file now (SIGHUP, `POST /admin/reload`). */
  reload(reason: string): Promise<ReloadResult>;
  status(): ReloadStatus;
  /** Watch additional files (replaces the extra list). */
  setExtraPaths(paths: readonly string[]): void;
  close(): void;
}

/**
 * Start watching and reloading.
 *
 * @example
 * ```ts ignore
 * const r = await createReloader({ path, text, apply: (c) => linker.reload(c), log });
 * await r.reload("SIGHUP");
 * ```
 */
export async function createReloader(opts: ReloaderOptions): Promise<Reloader> {
  const { path, log } = opts;
  const debounceMs = opts.debounceMs ?? 100;
  const pollMs = opts.pollMs ?? 1000;
  const parse = opts.parse ?? configLoader().parse;
  let extra = [...(opts.extraPaths ?? [])];
  // `version`/`extraSig`: the text last read (applied or rejected), so a watch or poll does not
  // re-report the same bad text; `appliedSig`: the dependencies' signature when `status.version`
  // (the serving text) was applied.
  let version = await configHash(opts.text);
  let extraSig = await extraSignature();
  let appliedSig = extraSig;
  let appliedHash = version;
  const status: ReloadStatus = {
    version: await versionOf(version, extraSig),
    loadedAt: new Date().toISOString(),
    reloads: 0,
    failures: 0,
    lastAttempt: null,
  };
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;

  /** The config's version: its text's hash, with its route/dtab files' when it has any. */
  async function versionOf(hash: string, sig: string): Promise<string> {
    return sig === "" ? hash : await configHash(`${hash}\n${sig}`);
  }

  async function extraSignature(): Promise<string> {
    let sig = "";
    for (const p of extra) {
      try {
        sig += await configHash(await Deno.readTextFile(p));
      } catch {
        sig += "missing";
      }
    }
    return sig;
  }

  async function someExtraEmpty(): Promise<boolean> {
    for (const p of extra) {
      const size = await Deno.stat(p).then((s) => s.size, () => -1);
      if (size === 0) return true;
    }
    return false;
  }

  async function attempt(reason: string, force: boolean): Promise<ReloadResult> {
    const at = new Date().toISOString();
    const automatic = reason === "poll" || reason === "file changed";
    let text: string;
    try {
      text = await Deno.readTextFile(path);
      // An in-place rewrite truncates before it writes: an empty config (it never loads) or
      // route/dtab file (an empty dtab would route nothing) that the watch or the poll met is
      // read again once the write has had time to follow.
      if (automatic && (text === "" || await someExtraEmpty())) {
        await new Promise((r) => setTimeout(r, 5 * debounceMs));
        text = await Deno.readTextFile(path);
      }
    } catch (e: unknown) {
      const message = `cannot read ${path}: ${(e as Error).message}`;
      status.failures++;
      status.lastAttempt = { at, ok: false, errors: [], message };
      log.error("config reload rejected; the old config keeps serving", { reason, error: message });
      version = ""; // no text: the serving one coming back (a delete and re-create) is news
      return { outcome: "rejected", errors: [], message };
    }
    const hash = await configHash(text);
    const sig = await extraSignature();
    if (!force && hash === appliedHash && sig === appliedSig) {
      // The serving text (perhaps restored after a rejected edit): nothing to rebuild.
      if (hash !== version || sig !== extraSig) {
        version = hash;
        extraSig = sig;
        status.lastAttempt = { at, ok: true, errors: [], message: "the serving config" };
        log.info("config file is back to the serving version", { reason });
      }
      return { outcome: "unchanged", version: status.version };
    }
    // The same rejected text again: quiet for the watcher and the poll; a manual reload (SIGHUP,
    // POST /admin/reload) checks it again and answers with its errors.
    if (hash === version && sig === extraSig && !force && automatic) {
      return { outcome: "unchanged", version: status.version };
    }
    const parsed = await parse(text, path);
    if (!parsed.ok) {
      status.failures++;
      const message = `${parsed.errors.length} error(s) in ${path}`;
      status.lastAttempt = { at, ok: false, errors: parsed.errors, message };
      for (const issue of parsed.errors) log.error(formatIssue(issue));
      log.error("config reload rejected; the old config keeps serving", {
        reason,
        version: (await versionOf(hash, sig)).slice(0, 12),
      });
      version = hash; // do not re-report the same bad text on every poll
      extraSig = sig;
      return { outcome: "rejected", errors: parsed.errors, message };
    }
    try {
      await opts.apply(parsed.config, text);
    } catch (e: unknown) {
      status.failures++;
      const message = `cannot apply ${path}: ${(e as Error).message}`;
      status.lastAttempt = { at, ok: false, errors: [], message };
      log.error("config reload rejected; the old config keeps serving", { reason, error: message });
      version = hash;
      extraSig = sig;
      return { outcome: "rejected", errors: [], message };
    }
    version = hash;
    extraSig = sig;
    appliedSig = sig;
    appliedHash = hash;
    status.version = await versionOf(hash, sig);
    status.loadedAt = at;
    status.reloads++;
    status.lastAttempt = { at, ok: true, errors: [], message: "applied" };
    log.info("config reloaded", { reason, version: status.version.slice(0, 12) });
    return { outcome: "applied", version: status.version };
  }

  function reload(reason: string, force = false): Promise<ReloadResult> {
    const next = chain.then(() => attempt(reason, force)).then((r) => {
      opts.onAttempt?.(r);
      return r;
    });
    chain = next.catch(() => {});
    return next;
  }

  // Directory watch, debounced. Each burst re-creates the watches: a watch follows symlinks
  // once, so one on a directory reached through a link (a ConfigMap item directory
  // `l5d -> ..data/l5d`) would stay on the old target after the `..data` swap.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = (why: string) => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      files.rewatch();
      void reload(why);
    }, debounceMs);
  };
  const files = watchFiles(
    () => [path, ...extra],
    () => schedule("file changed"),
    (dir, error) => log.warn("cannot watch config directory; polling only", { dir, error }),
  );

  // Poll fallback: cheap stat, full read only when it changed.
  let lastStat = "";
  const statSig = async () => {
    try {
      const s = await Deno.stat(path);
      return `${s.mtime?.getTime()}:${s.size}:${s.ino}`;
    } catch {
      return "missing";
    }
  };
  lastStat = await statSig();
  const poll = pollMs > 0
    ? setInterval(async () => {
      const s = await statSig();
      if (s !== lastStat) {
        lastStat = s;
        schedule("poll");
      } else if (extra.length > 0 && (await extraSignature()) !== extraSig) {
        schedule("poll");
      }
    }, pollMs)
    : undefined;

  return {
    reload: (reason) => reload(reason, false),
    status: () => structuredClone(status),
    setExtraPaths(paths) {
      extra = [...paths];
      files.rewatch();
    },
    close() {
      closed = true;
      clearTimeout(timer);
      if (poll !== undefined) clearInterval(poll);
      files.close();
    },
  };
}

/**
 * Register the reload metrics — `switchyard/config_reload_failures` and
 * `switchyard/config_loaded_at_ms` (the time the current config loaded; the process start until
 * a reload applies) — and return the `onAttempt` hook that counts failures. `get` returns the
 * reloader once it exists.
 */
export function reloadMetrics(
  registry: MetricsRegistry,
  get: () => Reloader | undefined,
): (r: ReloadResult) => void {
  const failures = registry.counter(["switchyard"], "config_reload_failures");
  const started = Date.now();
  registry.gauge(
    ["switchyard"],
    "config_loaded_at_ms",
    () => Date.parse(get()?.status().loadedAt ?? "") || started,
  );
  return (r) => {
    if (r.outcome === "rejected") failures.incr();
  };
}

/** How long an admin reload request waits for a reloader still being made at start-up. */
const READY_WAIT_MS = 5000;

/**
 * The admin routes of a reloader: `POST /admin/reload` (reload now; 400 when rejected) and
 * `GET /admin/reload` (status). `get` returns the reloader once it exists. The admin server
 * listens before the reloader is made (it watches the files the serving config names): a
 * request in between waits for `ready` (settled once the reloader exists or will not, at most
 * 5 s) instead of being refused, so a reload asked for right after start is not lost.
 */
export function reloadAdminHandlers(
  get: () => Reloader | undefined,
  ready?: Promise<unknown>,
): AdminHandler[] {
  const reloaderSoon = async (): Promise<Reloader | undefined> => {
    const now = get();
    if (now !== undefined || ready === undefined) return now;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise((r) => timer = setTimeout(r, READY_WAIT_MS));
    try {
      await Promise.race([ready.catch(() => {}), late]);
    } finally {
      clearTimeout(timer);
    }
    return get();
  };
  return [
    {
      path: "/admin/reload",
      method: "POST",
      handler: async () => {
        const reloader = await reloaderSoon();
        if (!reloader) return Response.json({ error: "not ready" }, { status: 503 });
        const r = await reloader.reload("POST /admin/reload");
        return Response.json({ result: r, status: reloader.status() }, {
          status: r.outcome === "rejected" ? 400 : 200,
        });
      },
    },
    {
      path: "/admin/reload",
      handler: async () =>
        Response.json((await reloaderSoon())?.status() ?? { error: "not ready" }),
    },
  ];
}
