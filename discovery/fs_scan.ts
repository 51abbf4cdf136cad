/**
 * One pass over an `io.l5d.fs` root directory: every regular file (following symlinks) and
 * every directory, keyed by its label path, with a cheap stat stamp so a poll can tell which
 * files changed without reading them. Names starting with `..` are skipped: they are the
 * Kubernetes ConfigMap writer's internals (`..data`, `..2024_01_01_...`), reached instead
 * through the visible `name -> ..data/name` symlinks. Symlinked directories are followed (a link back to
 * an ancestor is cut, so cycles end) and nesting is capped at 32 levels.
 *
 * @module
 */
import { isLocalResourceLimit } from "../router/core/errors.ts";
import type { Path } from "../router/dtab/types.ts";
import { pathKey } from "./_path.ts";
import { eachLimited } from "./_each_limited.ts";

/** A regular file found by a scan. */
export interface ScannedFile {
  /** Labels below the root, e.g. `["web", "v1"]`. */
  readonly rel: Path;
  /** Absolute (or root-relative) file system path. */
  readonly abs: string;
  /** Size in bytes. */
  readonly size: number;
  /** mtime, ctime, size, inode and device: changes when the file (or symlink target) changes. */
  readonly stamp: string;
}

/** The result of a scan; keys are `pathKey(rel)`. */
export interface DirScan {
  readonly files: ReadonlyMap<string, ScannedFile>;
  readonly dirs: ReadonlyMap<string, Path>;
  /**
   * The root directory's real path, inode and device: a recreated root, or one its symlinks now
   * resolve elsewhere, means the watch must be renewed (the real path too, as a tmpfs ConfigMap
   * volume reuses inode numbers).
   */
  readonly rootId: string;
}

const MAX_DEPTH = 32;

function stampOf(info: Deno.FileInfo): string {
  return `${info.mtime?.getTime()}:${info.ctime?.getTime()}:${info.size}:${info.ino}:${info.dev}`;
}

/**
 * Scan `root` recursively. With `prev` (the last scan of the same root), a file whose stamp has
 * not changed keeps its `ScannedFile` object, a directory its label list, and when nothing at
 * all changed `prev` itself is returned: a poll of an unchanged root every 2 s then leaves only
 * short-lived garbage behind, not a new copy of every file's entry (issue 6: 1000 services).
 *
 * @param root The root directory.
 * @param prev The previous scan of `root`, whose unchanged entries are reused.
 * @returns Files, directories and the root's identity.
 * @throws {Deno.errors.NotFound} When the root does not exist; `Error` when it is not a directory.
 * @example
 * ```ts
 * import { scanDir } from "./fs_scan.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/web`, "127.0.0.1 8080\n");
 * const scan = await scanDir(dir); // scan.files has '["web"]'
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function scanDir(root: string, prev?: DirScan): Promise<DirScan> {
  const rootInfo = await Deno.stat(root);
  if (!rootInfo.isDirectory) throw new Error(`${root} is not a directory`);
  const files = new Map<string, ScannedFile>();
  const dirs = new Map<string, Path>();
  async function walk(
    absDir: string,
    rel: Path,
    depth: number,
    ancestors: ReadonlySet<string>,
  ): Promise<void> {
    const entries: Deno.DirEntry[] = [];
    try {
      for await (const e of Deno.readDir(absDir)) entries.push(e);
    } catch (e: unknown) {
      // Out of file descriptors: the scan fails whole (the namer keeps its last one) rather than
      // reading as if the sub-directory's names were gone.
      if (depth === 0 || isLocalResourceLimit(e)) throw e;
      return; // a sub-directory vanished or is unreadable mid-scan
    }
    const children: Promise<void>[] = [];
    const listed = eachLimited(entries, async (e) => {
      if (e.name.startsWith("..")) return;
      const abs = `${absDir}/${e.name}`;
      const labels = [...rel, e.name];
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(abs);
      } catch (e: unknown) {
        if (isLocalResourceLimit(e)) throw e; // as above: not a file that went away
        return; // dangling symlink, or removed since readDir
      }
      if (info.isFile) {
        const key = pathKey(labels);
        const stamp = stampOf(info);
        const old = prev?.files.get(key);
        if (old !== undefined && old.stamp === stamp && old.abs === abs) files.set(key, old);
        else files.set(key, { rel: labels, abs, size: info.size, stamp });
      } else if (info.isDirectory && depth < MAX_DEPTH) {
        const real = await Deno.realPath(abs).catch((e: unknown) => {
          if (isLocalResourceLimit(e)) throw e;
          return undefined;
        });
        if (real === undefined || ancestors.has(real)) return; // a symlink cycle
        const key = pathKey(labels);
        dirs.set(key, prev?.dirs.get(key) ?? labels);
        children.push(walk(abs, labels, depth + 1, new Set([...ancestors, real])));
      }
    });
    const failure = await listed.then(() => undefined, (e: unknown) => ({ e }));
    // Every sub-walk is awaited, even when one failed: none may reject unobserved.
    const settled = await Promise.allSettled(children);
    if (failure !== undefined) throw failure.e;
    for (const r of settled) if (r.status === "rejected") throw r.reason;
  }

  const real = await Deno.realPath(root);
  await walk(root, [], 0, new Set([real]));
  const rootId = idOf(real, rootInfo);
  if (prev !== undefined && sameScan(prev, files, dirs, rootId)) return prev;
  return { files, dirs, rootId };
}

function idOf(real: string, info: Deno.FileInfo): string {
  return `${real}:${info.ino}:${info.dev}`;
}

/**
 * The identity of `root` as a scan reports it (`DirScan.rootId`), without scanning.
 *
 * @param root The root directory.
 * @returns Its real path, inode and device.
 * @throws {Deno.errors.NotFound} When the root does not exist.
 * @example
 * ```ts
 * import { rootIdOf, scanDir } from "./fs_scan.ts";
 * const dir = await Deno.makeTempDir();
 * (await rootIdOf(dir)) === (await scanDir(dir)).rootId; // true
 * await Deno.remove(dir);
 * ```
 */
export async function rootIdOf(root: string): Promise<string> {
  const info = await Deno.stat(root);
  return idOf(await Deno.realPath(root), info);
}

/** True when a new scan found exactly `prev`'s entries (the very same objects). */
function sameScan(
  prev: DirScan,
  files: ReadonlyMap<string, ScannedFile>,
  dirs: ReadonlyMap<string, Path>,
  rootId: string,
): boolean {
  if (prev.rootId !== rootId || prev.files.size !== files.size || prev.dirs.size !== dirs.size) {
    return false;
  }
  for (const [k, f] of files) if (prev.files.get(k) !== f) return false;
  for (const [k, d] of dirs) if (prev.dirs.get(k) !== d) return false;
  return true;
}
