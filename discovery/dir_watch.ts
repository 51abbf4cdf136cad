/**
 * A debounced recursive directory watch (REF `deno.md` §6): watching a *file* dies after the
 * first atomic replace, so watch the directory, ignore `access` events (reads, including our
 * own), and coalesce bursts (editor temp files, `mv`, the ConfigMap `..data` swap) into one
 * callback. The debounce is trailing (`debounceMs` after the last event) but capped at ten times
 * that after the first, so a steady stream of events cannot starve the callback.
 *
 * A watch follows symlinks once, when it starts: a directory reached through a link (a
 * ConfigMap item directory `disco -> ..data/disco`) is watched where the link pointed then, and
 * re-pointing the link is an event only in the directory holding it. `symlinkHolders` names
 * those directories, so their owners can watch them too and re-create their watches.
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import { timerFor } from "./_timer.ts";

/** Options of `watchDir`. */
export interface DirWatchOptions {
  /** Quiet period before the callback, default 50 ms. */
  readonly debounceMs?: number;
  /** Timer source; default real, unref'd timers. */
  readonly clock?: Clock;
  /** Sees every non-`access` event as it arrives (for namer state). */
  readonly onEvent?: (ev: Deno.FsEvent) => void;
  /** Watch sub-directories too, default true. */
  readonly recursive?: boolean;
  /** Only events it accepts count; default all. */
  readonly filter?: (ev: Deno.FsEvent) => boolean;
}

/** A running watch. */
export interface DirWatch {
  /** False once the watch could not start or has ended; make a new one to retry. */
  readonly alive: boolean;
  /** Stop watching; resolves when the event loop has ended. */
  close(): Promise<void>;
}

/**
 * Watch `root` recursively and call `onBurst` after each debounced burst of changes.
 *
 * @param root The directory.
 * @param onBurst Called with no arguments after a burst.
 * @param opts Debounce, clock and an event tap.
 * @returns The watch (`alive` is false when `Deno.watchFs` failed, e.g. a missing directory).
 * @example
 * ```ts
 * import { watchDir } from "./dir_watch.ts";
 * const dir = await Deno.makeTempDir();
 * const w = watchDir(dir, () => {});
 * await w.close();
 * await Deno.remove(dir);
 * ```
 */
export function watchDir(root: string, onBurst: () => void, opts: DirWatchOptions = {}): DirWatch {
  const debounceMs = opts.debounceMs ?? 50;
  const setTimer = timerFor(opts.clock);
  const now = () => opts.clock ? opts.clock.mono() : performance.now();
  let alive = true;
  let closed = false;
  let cancel: (() => void) | undefined;
  let burstStart = 0;

  let watcher: Deno.FsWatcher | undefined;
  try {
    watcher = Deno.watchFs(root, { recursive: opts.recursive ?? true });
  } catch {
    alive = false;
  }

  function onChange(): void {
    const t = now();
    if (!cancel) burstStart = t;
    cancel?.();
    const wait = Math.max(0, Math.min(debounceMs, burstStart + 10 * debounceMs - t));
    cancel = setTimer(wait, () => {
      cancel = undefined;
      if (!closed) onBurst();
    });
  }

  const done = (async () => {
    if (!watcher) return;
    try {
      for await (const ev of watcher) {
        if (ev.kind === "access" || opts.filter?.(ev) === false) continue;
        opts.onEvent?.(ev);
        onChange();
      }
    } catch {
      // the watch died; the owner renews it
    } finally {
      alive = false;
    }
  })();

  return {
    get alive() {
      return alive;
    },
    async close() {
      alive = false;
      closed = true;
      cancel?.();
      cancel = undefined;
      try {
        watcher?.close();
      } catch {
        // already closed
      }
      await done;
    },
  };
}

/**
 * The symlinks met while resolving `path`, grouped by the directory that holds them: each
 * directory maps to the link names in it. Re-pointing any of them (a ConfigMap's `..data`
 * swap, `ln -sfn`) changes what `path` is, with events only in those directories. Links in
 * link targets count too (`disco -> ..data/disco` gives `disco` and `..data`), at most 32 of
 * them; resolution stops at the first component that does not exist.
 *
 * @param path A file or directory, absolute or relative to the working directory.
 * @returns Directory → link names in it (empty when no component is a symlink).
 * @example
 * ```ts
 * import { symlinkHolders } from "./dir_watch.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/..v1/disco`, { recursive: true });
 * await Deno.symlink("..v1", `${dir}/..data`);
 * await Deno.symlink("..data/disco", `${dir}/disco`);
 * symlinkHolders(`${dir}/disco`); // Map { dir => Set { "disco", "..data" } }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function symlinkHolders(path: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const todo = (path.startsWith("/") ? path : `${Deno.cwd()}/${path}`).split("/");
  let dir = ""; // resolved so far, free of symlinks ("" = the root)
  let links = 0;
  while (todo.length > 0) {
    const name = todo.shift() as string;
    if (name === "" || name === ".") continue;
    if (name === "..") {
      dir = dir.slice(0, dir.lastIndexOf("/"));
      continue;
    }
    const next = `${dir}/${name}`;
    let target: string | undefined;
    try {
      if (Deno.lstatSync(next).isSymlink) target = Deno.readLinkSync(next);
    } catch {
      break; // missing (for now): nothing further to watch
    }
    if (target === undefined) {
      dir = next;
      continue;
    }
    if (++links > 32) break;
    const names = out.get(dir || "/") ?? new Set<string>();
    out.set(dir || "/", names.add(name));
    todo.unshift(...target.split("/"));
    if (target.startsWith("/")) dir = "";
  }
  return out;
}

function dirOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : p.slice(0, i);
}

function baseOf(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

/** A running {@linkcode watchFiles}. */
export interface FilesWatch {
  /** Watch again: the files `paths` names now, through the symlinks that lead to them now. */
  rewatch(): void;
  /** Stop watching. */
  close(): void;
}

/**
 * Watch files through their directories (watching a file dies at its first atomic replace):
 * each file's directory for its name and a ConfigMap's `..data`, and each directory holding a
 * symlink on the way to it ({@linkcode symlinkHolders}). `onChange` runs, not debounced, for
 * every non-`access` event naming one of them. A watch follows symlinks once, so call `rewatch`
 * after each burst: one on a directory reached through a link stays on the old target after a
 * `..data` swap. Used by the config reload and the TLS certificate reload, each with its own
 * debounce and stat poll.
 *
 * @param paths The files (asked again at each `rewatch`).
 * @param onChange Called on each event that names one of them.
 * @param onError A directory that cannot be watched (the caller's poll covers it).
 * @returns The watch, started.
 * @example
 * ```ts
 * import { watchFiles } from "./dir_watch.ts";
 * const dir = await Deno.makeTempDir();
 * const w = watchFiles(() => [`${dir}/config.yaml`], () => {});
 * w.close();
 * await Deno.remove(dir);
 * ```
 */
export function watchFiles(
  paths: () => Iterable<string>,
  onChange: () => void,
  onError?: (dir: string, e: unknown) => void,
): FilesWatch {
  const watchers: Deno.FsWatcher[] = [];
  let closed = false;
  function rewatch(): void {
    for (const w of watchers.splice(0)) w.close();
    if (closed) return;
    const dirs = new Map<string, Set<string>>();
    const add = (dir: string, names: Iterable<string>) => {
      const set = dirs.get(dir) ?? new Set<string>();
      for (const n of names) set.add(n);
      dirs.set(dir, set);
    };
    for (const p of paths()) {
      add(dirOf(p), [baseOf(p), "..data"]);
      for (const [dir, names] of symlinkHolders(p)) add(dir, names);
    }
    for (const [dir, names] of dirs) {
      let w: Deno.FsWatcher;
      try {
        w = Deno.watchFs(dir, { recursive: false });
      } catch (e: unknown) {
        onError?.(dir, e);
        continue;
      }
      watchers.push(w);
      (async () => {
        try {
          for await (const ev of w) {
            if (ev.kind === "access") continue;
            if (ev.paths.some((p) => names.has(baseOf(p)))) onChange();
          }
        } catch {
          // watcher closed
        }
      })();
    }
  }
  rewatch();
  return {
    rewatch,
    close() {
      closed = true;
      for (const w of watchers.splice(0)) w.close();
    },
  };
}
