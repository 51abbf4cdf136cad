/**
 * The names the enumerating namers can bind, for the admin `/bound-names.json` (L1
 * `admin/names/.../BoundNamesHandler.scala`: every `EnumeratingNamer`'s `getAllNames`, merged
 * into one set of shown paths). Here a namer enumerates when it has `allNames()`: `io.l5d.fs`
 * (each file and directory directly under `rootDir`) and `io.l5d.k8s` / `io.l5d.k8s.ns` (the
 * objects it already watches). Names are qualified with the namer's `/#/<prefix>`.
 *
 * @module
 */
import type { ConfiguredNamer } from "./interpreter.ts";
import { showPath } from "./_path.ts";

/**
 * Every name the configured namers can enumerate, fully qualified, sorted and deduplicated. A
 * namer whose enumeration fails is left out (Linkerd fails the whole response instead).
 *
 * @param namers The configured namers with their prefixes (after `/#`).
 * @returns Shown paths, e.g. `["/#/io.l5d.fs/hello", "/#/io.l5d.fs/world"]`.
 * @example
 * ```ts
 * import { allBoundNames } from "./bound_names.ts";
 * import { createFsNamer } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/hello`, "127.0.0.1 8080\n");
 * const namer = createFsNamer({ rootDir: dir });
 * await allBoundNames([{ prefix: ["io.l5d.fs"], namer }]); // ["/#/io.l5d.fs/hello"]
 * await namer.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function allBoundNames(namers: readonly ConfiguredNamer[]): Promise<string[]> {
  const lists = await Promise.all(namers.map(async ({ prefix, namer }) => {
    try {
      const names = await namer.allNames?.() ?? [];
      return names.map((n) => showPath(["#", ...prefix, ...n]));
    } catch {
      return [];
    }
  }));
  return [...new Set(lists.flat())].sort();
}
