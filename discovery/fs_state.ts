/**
 * Rendering of the `io.l5d.fs` namer state for `/namer_state/<prefix>.json`, in Linkerd's shape
 * (L1 `namer/fs/.../WatchingNamer.scala` `WatchingNamerStateHandler`, `WatchState.scala`,
 * `InstrumentedVar.scala` `VarState`, `UpRegSerializer.scala`): per directory,
 * `{ events: {lastEventKind, lastEventName, lastEventAt}, state: {running, lastStartedAt,
 * lastStoppedAt, lastUpdatedAt, value: {<file>: <raw text> | "error: ..."}}, <subdir>: {...} }`.
 * Times are ISO-8601 strings; event kinds use Java's names (`ENTRY_CREATE`, `ENTRY_MODIFY`,
 * `ENTRY_DELETE`; Deno's `rename` becomes `ENTRY_RENAME`).
 *
 * @module
 */
import type { Path } from "../router/dtab/types.ts";
import type { DirScan } from "./fs_scan.ts";
import { pathKey, pathStartsWith } from "./_path.ts";

/** The last watch event seen in one directory. */
export interface FsDirEvents {
  readonly lastEventKind: string | null;
  readonly lastEventName: string | null;
  readonly lastEventAt: string | null;
}

/** Linkerd's per-directory namer state. */
export interface FsDirState {
  /** The last watch event in this directory. */
  readonly events: FsDirEvents;
  /** Watch status plus the raw text of each file directly in this directory. */
  readonly state: {
    readonly running: boolean;
    readonly lastStartedAt: string | null;
    readonly lastStoppedAt: string | null;
    readonly lastUpdatedAt: string | null;
    readonly value: Record<string, string> | null;
  };
  /** Sub-directories, by name. */
  readonly [child: string]: unknown;
}

/** What the renderer needs from the namer. */
export interface FsStateSource {
  readonly scan: DirScan | undefined;
  /** Raw text or error per file key (`pathKey(rel)`). */
  readonly contents: ReadonlyMap<string, { readonly text?: string; readonly error?: string }>;
  /** Last event per directory key. */
  readonly events: ReadonlyMap<string, FsDirEvents>;
  readonly running: boolean;
  readonly startedAt: string | null;
  readonly stoppedAt: string | null;
  readonly updatedAt: string | null;
}

const NO_EVENTS: FsDirEvents = { lastEventKind: null, lastEventName: null, lastEventAt: null };

/** Java's WatchEvent kind name for a Deno event kind. */
export function javaEventKind(kind: Deno.FsEvent["kind"]): string {
  return kind === "create"
    ? "ENTRY_CREATE"
    : kind === "modify"
    ? "ENTRY_MODIFY"
    : kind === "remove"
    ? "ENTRY_DELETE"
    : `ENTRY_${kind.toUpperCase()}`;
}

/**
 * Render the state of directory `dir` (`[]` = the root) and, recursively, its sub-directories.
 *
 * @param src The namer's current data.
 * @param dir The directory, as labels below the root.
 * @returns The Linkerd-shaped JSON value.
 * @example
 * ```ts
 * import { renderFsState } from "./fs_state.ts";
 * renderFsState({
 *   scan: undefined, contents: new Map(), events: new Map(),
 *   running: true, startedAt: null, stoppedAt: null, updatedAt: null,
 * }, []); // { events: {...nulls}, state: { running: true, ..., value: null } }
 * ```
 */
export function renderFsState(src: FsStateSource, dir: Path = []): FsDirState {
  const isChild = (rel: Path) => rel.length === dir.length + 1 && pathStartsWith(rel, dir);
  let value: Record<string, string> | null = null;
  if (src.scan) {
    value = {};
    for (const [key, f] of src.scan.files) {
      if (!isChild(f.rel)) continue;
      const c = src.contents.get(key);
      value[f.rel[dir.length] as string] = c?.text ?? `error: ${c?.error ?? "pending"}`;
    }
  }
  const out: Record<string, unknown> = {
    events: src.events.get(pathKey(dir)) ?? NO_EVENTS,
    state: {
      running: src.running,
      lastStartedAt: src.startedAt,
      lastStoppedAt: src.stoppedAt,
      lastUpdatedAt: src.updatedAt,
      value,
    },
  };
  for (const rel of src.scan?.dirs.values() ?? []) {
    if (isChild(rel)) out[rel[dir.length] as string] = renderFsState(src, rel);
  }
  return out as FsDirState;
}
