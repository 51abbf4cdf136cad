/**
 * Log roll policies for the access logs (`httpAccessLogRollPolicy`, `h2AccessLogRollPolicy` and
 * their `…RotateCount`), as twitter-util's `com.twitter.logging.FileHandler` rolls Linkerd's
 * access log (L1 `protocol-http.md`: "Never, Hourly, Daily, Weekly(n) (where n is a day of the
 * week), util-style data size strings (e.g. 3.megabytes, 1.gigabyte)").
 *
 * - `hourly` / `daily` / `weekly(n)`: the file is rolled on the first line written after the top of
 *   the next hour, the next midnight, or the next midnight that starts day `n` (Java's
 *   `Calendar.DAY_OF_WEEK`: 1 = Sunday … 7 = Saturday), in local time.
 * - a size (`3.megabytes`; 1 kilobyte = 1024 bytes, as `StorageUnit`): rolled before a line that
 *   would take the file past it (counting from when the file was opened).
 * - `sighup`: the file is reopened (not renamed) on `SIGHUP`, for an external logrotate.
 * - `never` (the default): never rolled.
 *
 * A rolled file is renamed `<name>-<suffix><.ext>` (`access.log` → `access-20261126-22.log`), the
 * suffix the time the file was opened: `yyyyMMdd-HH` hourly, `yyyyMMdd` daily and weekly,
 * `yyyyMMdd-HHmmss` by size. With a rotate count ≥ 0, only that many rolled files are kept; the
 * oldest go first. Unlike twitter-util, a rename never replaces an earlier rolled file of the same
 * name (two size rolls in one second): the later one gets `_001`, `_002`… before the extension
 * (so that names sort in the order the files were rolled: `_` sorts after `.`), and
 * "oldest" is by modification time, not by name.
 *
 * @example
 * ```ts
 * import { parseRollPolicy, rolledName } from "./log_roll.ts";
 * const p = parseRollPolicy("Hourly");
 * rolledName("/var/log/access.log", p, new Date(2026, 10, 26, 22, 5).getTime());
 * // "/var/log/access-20261126-22.log"
 * ```
 *
 * @module
 */

/** A parsed roll policy. */
export type RollPolicy =
  | { readonly kind: "never" }
  | { readonly kind: "hourly" }
  | { readonly kind: "daily" }
  | { readonly kind: "weekly"; readonly dayOfWeek: number }
  | { readonly kind: "sighup" }
  | { readonly kind: "maxSize"; readonly bytes: number };

const UNITS: Readonly<Record<string, number>> = {
  byte: 1,
  kilobyte: 1024,
  megabyte: 1024 ** 2,
  gigabyte: 1024 ** 3,
  terabyte: 1024 ** 4,
  petabyte: 1024 ** 5,
  exabyte: 1024 ** 6,
};

/**
 * Parse a policy as twitter-util's `Policy.parse` does (any case).
 *
 * @param text e.g. `never`, `Daily`, `weekly(1)`, `sighup`, `3.megabytes`; undefined = `never`
 * @returns the policy
 * @throws {Error} `invalid log roll policy: …` for anything else (the config schema refuses it first)
 */
export function parseRollPolicy(text: string | undefined): RollPolicy {
  if (text === undefined) return { kind: "never" };
  const s = text.trim().toLowerCase();
  if (s === "never" || s === "hourly" || s === "daily" || s === "sighup") return { kind: s };
  const weekly = /^weekly\(([1-7])\)$/.exec(s);
  if (weekly) return { kind: "weekly", dayOfWeek: Number(weekly[1]) };
  const size = /^(-?\d+)\.([a-z]+?)s?$/.exec(s);
  const unit = size ? UNITS[size[2]!] : undefined;
  if (size && unit !== undefined) return { kind: "maxSize", bytes: Number(size[1]) * unit };
  throw new Error(`invalid log roll policy: ${JSON.stringify(text)}`);
}

/**
 * When a file opened at `openedMs` is next rolled by time (epoch ms), or undefined for a policy
 * that does not roll by time.
 */
export function nextRollTime(policy: RollPolicy, openedMs: number): number | undefined {
  const d = new Date(openedMs);
  d.setMinutes(0, 0, 0);
  switch (policy.kind) {
    case "hourly":
      d.setHours(d.getHours() + 1);
      return d.getTime();
    case "daily":
      d.setHours(0);
      d.setDate(d.getDate() + 1);
      return d.getTime();
    case "weekly":
      d.setHours(0);
      do d.setDate(d.getDate() + 1); while (d.getDay() + 1 !== policy.dayOfWeek);
      return d.getTime();
    default:
      return undefined;
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** The time suffix of a file opened at `openedMs` (local time), per the policy. */
export function timeSuffix(policy: RollPolicy, openedMs: number): string {
  const d = new Date(openedMs);
  const day = `${pad(d.getFullYear(), 4)}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
  switch (policy.kind) {
    case "hourly":
      return `${day}-${pad(d.getHours())}`;
    case "daily":
    case "weekly":
      return day;
    case "maxSize":
      return `${day}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
    default:
      return pad(d.getFullYear(), 4);
  }
}

/** `path` split at its extension, as twitter-util splits it (the last `.` not at position 0). */
function splitExt(path: string): [string, string] {
  const n = path.lastIndexOf(".");
  const slash = path.lastIndexOf("/");
  return n > 0 && n > slash + 1 ? [path.slice(0, n), path.slice(n)] : [path, ""];
}

/**
 * The name a file at `path` opened at `openedMs` is rolled to: `<prefix>-<suffix><ext>`.
 *
 * @param taken the n-th name when earlier ones exist (`<prefix>-<suffix>_<nnn><ext>`)
 */
export function rolledName(path: string, policy: RollPolicy, openedMs: number, taken = 0): string {
  const [prefix, ext] = splitExt(path);
  const base = `${prefix}-${timeSuffix(policy, openedMs)}`;
  return taken === 0 ? `${base}${ext}` : `${base}_${String(taken).padStart(3, "0")}${ext}`;
}

/**
 * Rename the log file at `path` to its rolled name (after the highest of that name in its
 * directory, so never over an existing file), then keep at most
 * `rotateCount` rolled files (-1: all).
 *
 * @returns the rolled file's name
 */
export async function rollFile(
  path: string,
  policy: RollPolicy,
  openedMs: number,
  rotateCount: number,
): Promise<string> {
  // After the highest of its name already there (the count may have removed earlier ones).
  const [prefix, ext] = splitExt(path);
  const base = `${prefix}-${timeSuffix(policy, openedMs)}`;
  let next = 0;
  for (const f of await siblings(path)) {
    if (f === `${base}${ext}`) next = Math.max(next, 1);
    else if (f.startsWith(`${base}_`) && f.endsWith(ext)) {
      const i = Number(f.slice(base.length + 1, f.length - ext.length));
      if (Number.isInteger(i) && i > 0) next = Math.max(next, i + 1);
    }
  }
  const to = rolledName(path, policy, openedMs, next);
  await Deno.rename(path, to);
  if (rotateCount >= 0) await removeOldFiles(path, rotateCount);
  return to;
}

/** The directory of `path` and the prefix that names a file in it as `path` names itself. */
function dirOf(path: string): { dir: string; join: string } {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return { dir: ".", join: "" };
  const dir = path.slice(0, slash) || "/";
  return { dir, join: dir === "/" ? "/" : `${dir}/` };
}

/** The paths of the files beside `path`. */
async function siblings(path: string): Promise<string[]> {
  const { dir, join } = dirOf(path);
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile) out.push(join + e.name);
  return out;
}

/** Delete all but the newest `keep` rolled files of the log at `path`. */
async function removeOldFiles(path: string, keep: number): Promise<void> {
  const { join } = dirOf(path);
  const [prefix, ext] = splitExt(path.slice(join.length));
  const rolled: { file: string; mtime: number }[] = [];
  for (const file of await siblings(path)) {
    const name = file.slice(join.length);
    if (file === path || !name.startsWith(`${prefix}-`) || !name.endsWith(ext)) continue;
    const st = await Deno.stat(file);
    rolled.push({ file, mtime: st.mtime?.getTime() ?? 0 });
  }
  rolled.sort((a, b) => a.mtime - b.mtime || (a.file < b.file ? -1 : 1));
  for (const r of rolled.slice(0, Math.max(0, rolled.length - keep))) {
    await Deno.remove(r.file).catch(() => {});
  }
}
