/**
 * `/namer_state/<prefix>.json` under `--workers`: every worker has its own namers, and a namer
 * that watches on lookup (io.l5d.consul, io.l5d.marathon, the io.l5d.k8s family) shows only the
 * names that process looked up, so the main, which routes nothing, showed `{}` after traffic.
 * The page merges the main's state with its workers'.
 *
 * @module
 */

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A list entry's identity: the key of a one-key object (io.l5d.marathon), else its JSON. */
function entryKey(v: unknown): string {
  if (isRecord(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1) return `key:${keys[0]}`;
  }
  return `json:${JSON.stringify(v)}`;
}

/** Union of records' keys; the first state of a key wins (they watch the same API). */
function unionRecords(records: readonly Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) if (!(k in out)) out[k] = v;
  }
  return out;
}

/**
 * Merges the states of one namer from several processes, by their shape:
 * - a list (io.l5d.marathon's `[{"/app": state}]`): the union, by each entry's key;
 * - `{endpoints, portMappings}` (the io.l5d.k8s namers): the union of each;
 * - `{events, state, …}` (io.l5d.fs, a directory scan every process makes alike): the first;
 * - any other object (io.l5d.consul's path → `{state, poll}`): the union of its keys.
 * Where processes share a key, the first one's state is shown.
 *
 * @param states The main's state first, then the workers'.
 * @returns One state.
 * @example
 * ```ts
 * import { mergeNamerStates } from "./namer_state.ts";
 * mergeNamerStates([{}, { "/dc1/web": 1 }, { "/dc1/api": 2 }]); // {"/dc1/web": 1, "/dc1/api": 2}
 * ```
 */
export function mergeNamerStates(states: readonly unknown[]): unknown {
  const first = states[0];
  if (states.length < 2) return first;
  if (Array.isArray(first)) {
    const seen = new Set<string>();
    const out: unknown[] = [];
    for (const s of states) {
      if (!Array.isArray(s)) continue;
      for (const e of s) {
        const k = entryKey(e);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(e);
      }
    }
    return out;
  }
  if (!isRecord(first)) return first;
  const records = states.filter(isRecord);
  if (isRecord(first.endpoints) && isRecord(first.portMappings)) {
    const part = (k: string) =>
      unionRecords(records.map((r) => r[k]).filter(isRecord) as Record<string, unknown>[]);
    return { ...first, endpoints: part("endpoints"), portMappings: part("portMappings") };
  }
  if ("events" in first && "state" in first) return first;
  return unionRecords(records);
}
