/**
 * The `io.l5d.fs` namer (L1 `namer/fs/.../WatchingNamer.scala`, `Watcher.scala`; REF
 * `linkerd1.md` §3): each file under `rootDir` is a service, sub-directories nest as path
 * segments. Looking up `/a/b/c` walks the labels: the first one that names a file is the bound
 * id (`/#/io.l5d.fs/a/b` once qualified) and the rest is the residual; a missing name, or a
 * path ending at a directory, is Neg (so dtab alternation falls through). File format:
 * `addr_file.ts` (a malformed line fails that one name only; an empty file binds to nothing).
 *
 * Liveness (REF `deno.md` §6): the *directory* is watched recursively with `Deno.watchFs`, events
 * are debounced (`debounceMs`, trailing, capped at 10×), and each burst triggers a full rescan
 * that re-reads every file, which covers in-place edits, deletes, atomic `mv` replaces and the
 * Kubernetes ConfigMap `..data` symlink swap (whose events never name the files). A stat-based poll
 * every `pollMs` (default 2 s) re-reads only files whose stamp changed and re-creates the watch if
 * it died or the root was recreated or now resolves elsewhere. While the watch is alive, a poll
 * checks only the root's identity, and stats every file once per `fullPollMs` (default 30 s): the
 * watch reports changes, and the full poll is the net for events it missed (issue 6: a poll of
 * 1000 files took ~28 ms of CPU every 2 s, 1.4% of a core on an idle proxy). A `rootDir` reached
 * through symlinks (a ConfigMap item directory) also has the directories holding them watched, so
 * re-pointing one rescans and re-creates the watch at once. Updates go into the *same* Vars: each file has one
 * `Var<Addr>` for the namer's lifetime (set to `neg` while the file is absent), and lookup Vars
 * derive from the directory shape, flipping between Neg and a leaf as files come and go. A file
 * with addresses that is read empty keeps them for 10 × `debounceMs` (500 ms) and is re-read then:
 * an in-place rewrite truncates before it writes, and requests would fail in between.
 *
 * Linkerd config: `kind: io.l5d.fs`, `rootDir` (required), `prefix` (default `/io.l5d.fs`).
 * `state()` serves `/namer_state/<prefix>.json` in Linkerd's shape (`WatchingNamerStateHandler`);
 * `allNames()` lists each file and directory directly under `rootDir` for `/bound-names.json`
 * (Linkerd's `getAllNames`).
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import { isLocalResourceLimit } from "../router/core/errors.ts";
import { type MutableVar, mutableVar, type Var } from "../router/core/var.ts";
import type { Path } from "../router/dtab/types.ts";
import type { Addr, Bound, Namer } from "./types.ts";
import { addrVar } from "./addr.ts";
import { parseAddrFile } from "./addr_file.ts";
import { makeBound } from "./bound.ts";
import { type DirScan, rootIdOf, scanDir, type ScannedFile } from "./fs_scan.ts";
import { type FsDirEvents, type FsDirState, javaEventKind, renderFsState } from "./fs_state.ts";
import { type DirWatch, symlinkHolders, watchDir } from "./dir_watch.ts";
import {
  boundedCache,
  failed,
  leafBound,
  type Lookup,
  lookupEquals,
  mapVar,
  NEG,
  PENDING,
} from "./_activity.ts";
import { pathKey } from "./_path.ts";
import { isoNow, timerFor } from "./_timer.ts";
import { eachLimited } from "./_each_limited.ts";

/** The Linkerd kind. */
export const kind = "io.l5d.fs";

/** Options of `createFsNamer`. */
export interface FsNamerOptions {
  /** The directory of service files. */
  readonly rootDir: string;
  /** Timer and wall-clock source; default real, unref'd timers. */
  readonly clock?: Clock;
  /** Coalesce watch events for this long before rescanning, default 50 ms. */
  readonly debounceMs?: number;
  /** Stat-based fallback poll period, default 2000 ms; 0 disables polling. */
  readonly pollMs?: number;
  /**
   * While the directory watch is alive, how often a poll stats every file (the others check
   * only the root's identity), default 30000 ms.
   */
  readonly fullPollMs?: number;
  /** Use `Deno.watchFs`, default true (false = poll only). */
  readonly watch?: boolean;
  /** Larger files are `failed` (Linkerd: 500 KB), default 512000 bytes. */
  readonly maxFileBytes?: number;
  /** Reads a file's text (default `Deno.readTextFile`); for tests. */
  readonly readText?: (path: string) => Promise<string>;
}

export type { FsDirState };

/** The fs namer. */
export interface FsNamer extends Namer {
  /** Resolves after the first scan. */
  readonly ready: Promise<void>;
  /** Rescan and re-read every file now; resolves when done. */
  refresh(): Promise<void>;
  /** Linkerd-shaped state of the root directory. */
  state(): FsDirState;
  /** Each file and directory directly under the root, after the first scan. */
  allNames(): Promise<readonly Path[]>;
  /** Stop the watch and timers, and wait for a scan in flight. */
  close(): Promise<void>;
}

type Shape = { readonly scan: DirScan } | { readonly error: string } | undefined;

interface FileState {
  readonly stamp: string;
  readonly text?: string;
  readonly error?: string;
}

function sameShape(a: DirScan, b: DirScan): boolean {
  if (a.files.size !== b.files.size || a.dirs.size !== b.dirs.size) return false;
  for (const k of a.files.keys()) if (!b.files.has(k)) return false;
  for (const k of a.dirs.keys()) if (!b.dirs.has(k)) return false;
  return true;
}

function absolute(dir: string): string {
  const abs = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
  return abs.length > 1 ? abs.replace(/\/+$/, "") : abs;
}

/**
 * Make an `io.l5d.fs` namer watching `rootDir`.
 *
 * @param opts `rootDir` and tuning knobs.
 * @returns The namer (lookups are `pending` until the first scan; a missing root is `failed`).
 * @example
 * ```ts
 * import { createFsNamer } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/hello`, "127.0.0.1 8080\n");
 * const fs = createFsNamer({ rootDir: dir });
 * await fs.ready;
 * fs.lookup(["hello", "extra"]).get(); // leaf bound /hello, residual /extra
 * await fs.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function createFsNamer(opts: FsNamerOptions): FsNamer {
  const { rootDir, clock } = opts;
  const pollMs = opts.pollMs ?? 2000;
  const fullPollMs = opts.fullPollMs ?? 30_000;
  const monoNow = () => clock ? clock.mono() : performance.now();
  /** When the last scan that stat'ed every file ended (`monoNow()`). */
  let scannedAt = -Infinity;
  const maxFileBytes = opts.maxFileBytes ?? 512_000;
  const readText = opts.readText ?? ((path: string) => Deno.readTextFile(path));
  /**
   * A file the last scan could not read for a limit of this process (out of file descriptors or
   * memory): the next poll scans, even with the watch alive (else its name would wait for the
   * next full poll, `fullPollMs`, or an event).
   */
  let unread = false;
  const setTimer = timerFor(clock);
  const shape: MutableVar<Shape> = mutableVar<Shape>(undefined);
  const addrs = new Map<string, MutableVar<Addr>>(); // one per file name, for the namer's life
  const contents = new Map<string, FileState>();
  const events = new Map<string, FsDirEvents>();
  const lookups = boundedCache<Var<Lookup>>(1000);
  const bounds = boundedCache<Bound>(1000);
  const startedAt = isoNow(clock);
  let stoppedAt: string | null = null;
  let updatedAt: string | null = null;
  let closed = false;
  // event paths are absolute and may be canonical: match against both spellings of the root
  const roots = [absolute(rootDir)];
  try {
    roots.push(Deno.realPathSync(rootDir));
  } catch {
    // missing for now
  }

  const addrOf = (key: string): MutableVar<Addr> => {
    let v = addrs.get(key);
    if (!v) addrs.set(key, v = addrVar());
    return v;
  };

  // ---- scanning: one at a time; requests made while one is queued merge into it ----
  let tail: Promise<void> = Promise.resolve();
  let queued: { full: boolean; p: Promise<void> } | undefined;
  let rootId: string | undefined;
  /** The last scan: a poll reuses its unchanged entries (see `scanDir`). */
  let lastScan: DirScan | undefined;

  /**
   * Files with addresses that read empty: since when (monotonic ms). An in-place rewrite
   * (`>`, an editor without write-rename) truncates before it writes; a rescan in between would
   * bind the name to nothing and fail its requests. So an emptied file keeps its last content
   * for `settleMs` (a burst's longest wait, 10 × debounce) and is re-read then.
   */
  const emptied = new Map<string, number>();
  const settleMs = 10 * (opts.debounceMs ?? 50);
  const mono = () => clock ? clock.mono() : performance.now();
  let cancelSettle: (() => void) | undefined;

  /** True while `key`, now read as `text`, is an emptied file still settling. */
  function settling(key: string, text: string | undefined): boolean {
    const had = contents.get(key)?.text;
    if (text !== "" || had === undefined || had.trim() === "") {
      emptied.delete(key);
      return false;
    }
    const since = emptied.get(key) ?? mono();
    if (mono() - since >= settleMs) {
      emptied.delete(key);
      return false;
    }
    emptied.set(key, since);
    cancelSettle ??= setTimer(settleMs + 5, () => {
      cancelSettle = undefined;
      void runScan(true);
    });
    return true;
  }

  /** Re-read one file; false when it vanished since the scan. */
  async function readFile(key: string, f: ScannedFile): Promise<boolean> {
    let next: FileState;
    if (f.size > maxFileBytes) {
      next = { stamp: f.stamp, error: `${f.size} bytes is over the ${maxFileBytes}-byte limit` };
    } else {
      try {
        next = { stamp: f.stamp, text: await readText(f.abs) };
      } catch (e: unknown) {
        if (e instanceof Deno.errors.NotFound) return false;
        // Out of file descriptors (or memory) here, not a bad file: the name keeps what it had,
        // and with no stamp recorded the next scan (the next poll: `unread`) reads it again.
        if (isLocalResourceLimit(e)) {
          unread = true;
          return true;
        }
        next = { stamp: f.stamp, error: e instanceof Error ? e.message : String(e) };
      }
    }
    if (closed || settling(key, next.text)) return true;
    contents.set(key, next);
    addrOf(key).set(
      next.text !== undefined
        ? parseAddrFile(next.text, f.abs)
        : { type: "failed", error: `${f.abs}: ${next.error}` },
    );
    return true;
  }

  async function scan(full: boolean): Promise<void> {
    let result: DirScan;
    try {
      result = await scanDir(rootDir, lastScan);
    } catch (e: unknown) {
      if (closed) return;
      // Out of file descriptors (a connection surge) or memory: a limit of this process, not a
      // change of the directory. The last scan stays (keep last good), so names bound from it
      // keep routing; the next poll scans again.
      const cur = shape.get();
      if (isLocalResourceLimit(e) && cur !== undefined && "scan" in cur) return;
      // Root gone: lookups fail, but Addr Vars keep their last value (keep last good) and the
      // watch is renewed once the root is back.
      stopWatch();
      rootId = undefined;
      const error = `io.l5d.fs rootDir ${rootDir}: ${e instanceof Error ? e.message : e}`;
      if (!cur || !("error" in cur) || cur.error !== error) {
        shape.set({ error });
        updatedAt = isoNow(clock);
      }
      return;
    }
    if (closed) return;
    if (rootId !== undefined && rootId !== result.rootId) stopWatch();
    rootId = result.rootId;
    lastScan = result;
    scannedAt = monoNow();
    const vanished: string[] = [];
    // Only the files whose stamp changed (all on a full rescan): a poll of 1000 unchanged files
    // then makes no read, promise or closure per file (issue 6: a poll outlives several young
    // collections, so what it allocates per file lands in the old generation).
    const stale: [string, ScannedFile][] = [];
    for (const e of result.files) {
      if (full || contents.get(e[0])?.stamp !== e[1].stamp) stale.push(e);
    }
    unread = false;
    await eachLimited(stale, async ([key, f]) => {
      if (!await readFile(key, f)) vanished.push(key);
    });
    if (closed) return;
    let present = result.files;
    if (vanished.length > 0) {
      const m = new Map(present);
      for (const k of vanished) m.delete(k);
      present = m;
    }
    const gone = [...contents.keys()].filter((k) => !present.has(k));
    for (const k of gone) {
      contents.delete(k);
      emptied.delete(k);
    }
    const next: DirScan = present === result.files ? result : { ...result, files: present };
    const cur = shape.get();
    if (!(cur && "scan" in cur && sameShape(cur.scan, next))) {
      shape.set({ scan: next }); // lookups depend only on the shape
      updatedAt = isoNow(clock);
    }
    for (const k of gone) addrs.get(k)?.set({ type: "neg" });
    startWatch();
  }

  function runScan(full: boolean): Promise<void> {
    if (queued) {
      queued.full ||= full;
      return queued.p;
    }
    const q: { full: boolean; p: Promise<void> } = { full, p: Promise.resolve() };
    q.p = tail.then(() => {
      queued = undefined;
      return closed ? undefined : scan(q.full);
    }).catch(() => {});
    queued = q;
    tail = q.p;
    return q.p;
  }

  // ---- watching (debounced full rescans) and the polling fallback ----
  let watch: DirWatch | undefined;
  /** Watches of the directories holding symlinks on the way to `rootDir`. */
  let linkWatches: DirWatch[] = [];
  const closing = new Set<Promise<void>>();

  function recordEvent(ev: Deno.FsEvent): void {
    const p = ev.paths[ev.paths.length - 1] ?? "";
    const root = roots.find((r) => p.startsWith(r + "/"));
    if (root === undefined) return;
    const labels = p.slice(root.length).split("/").filter((l) => l !== "");
    const name = labels.pop();
    if (name === undefined) return;
    events.set(pathKey(labels), {
      lastEventKind: javaEventKind(ev.kind),
      lastEventName: name,
      lastEventAt: isoNow(clock),
    });
  }

  function startWatch(): void {
    if (closed || watch?.alive || opts.watch === false) return;
    stopWatch();
    const tuning = {
      ...(opts.debounceMs !== undefined ? { debounceMs: opts.debounceMs } : {}),
      ...(clock ? { clock } : {}),
    };
    const w = watchDir(rootDir, () => void runScan(true), { ...tuning, onEvent: recordEvent });
    if (!w.alive) return;
    watch = w;
    // A change between the reads of the scan that got here and the watch's start has no event,
    // and with the watch alive a poll would not look until `fullPollMs`: one stat scan now that
    // the watch is on sees it (it re-reads only files whose stamp changed).
    void runScan(false);
    // A rootDir reached through symlinks (a ConfigMap item directory, `disco -> ..data/disco`)
    // is watched where they pointed; re-pointing one is seen only where it lives: then rescan
    // and watch the new target.
    for (const [dir, names] of symlinkHolders(rootDir)) {
      const lw = watchDir(dir, () => {
        stopWatch();
        void runScan(true);
      }, {
        ...tuning,
        recursive: false,
        filter: (ev) => ev.paths.some((p) => names.has(p.slice(p.lastIndexOf("/") + 1))),
      });
      if (lw.alive) linkWatches.push(lw);
    }
  }

  function stopWatch(): void {
    for (const w of [watch, ...linkWatches]) {
      if (!w) continue;
      const p: Promise<void> = w.close().finally(() => closing.delete(p));
      closing.add(p);
    }
    watch = undefined;
    linkWatches = [];
  }

  let cancelPoll: (() => void) | undefined;
  function schedulePoll(): void {
    if (closed || pollMs <= 0) return;
    cancelPoll = setTimer(pollMs, () => {
      cancelPoll = undefined;
      void poll().then(schedulePoll);
    });
  }

  /**
   * A poll: with the watch alive and the root where it was, nothing until `fullPollMs` has
   * passed since the last full scan (unless a file could not be read, `unread`); otherwise a stat
   * scan (see `scan`).
   */
  async function poll(): Promise<void> {
    if (!unread && watch?.alive && rootId !== undefined && monoNow() - scannedAt < fullPollMs) {
      const id = await rootIdOf(rootDir).catch(() => undefined);
      if (id === rootId && watch?.alive) return;
    }
    return runScan(false);
  }

  // ---- lookups ----
  function boundFor(path: Path, n: number): Bound {
    const key = `${n}${pathKey(path)}`;
    let b = bounds.get(key);
    if (!b) {
      const id = path.slice(0, n);
      bounds.set(key, b = makeBound(id, addrOf(pathKey(id)), path.slice(n)));
    }
    return b;
  }

  function resolve(s: Shape, path: Path): Lookup {
    if (s === undefined) return PENDING;
    if ("error" in s) return failed(s.error);
    for (let i = 1; i <= path.length; i++) {
      const key = pathKey(path.slice(0, i));
      if (s.scan.files.has(key)) return leafBound(boundFor(path, i));
      if (!s.scan.dirs.has(key)) return NEG;
    }
    return NEG;
  }

  startWatch();
  const ready = runScan(true);
  void ready.then(schedulePoll);

  return {
    kind,
    ready,
    lookup(path) {
      const key = pathKey(path);
      let v = lookups.get(key);
      if (!v) lookups.set(key, v = mapVar(shape, (s) => resolve(s, path), lookupEquals));
      return v;
    },
    refresh: () => runScan(true),
    // Linkerd's WatchingNamer.getAllNames: each file and directory directly under rootDir.
    async allNames() {
      await ready;
      const s = shape.get();
      if (!s || !("scan" in s)) return [];
      const top = [...s.scan.files.values()].map((f) => f.rel).concat([...s.scan.dirs.values()]);
      return top.filter((rel) => rel.length === 1);
    },
    state() {
      const s = shape.get();
      return renderFsState({
        scan: s && "scan" in s ? s.scan : undefined,
        contents,
        events,
        running: !closed,
        startedAt,
        stoppedAt,
        updatedAt,
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      cancelPoll?.();
      cancelSettle?.();
      stopWatch();
      await Promise.all([tail, ...closing]);
      stoppedAt = isoNow(clock);
    },
  };
}
