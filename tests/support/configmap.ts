/**
 * A Kubernetes ConfigMap volume on a temp directory, updated the way kubelet's atomic writer
 * (`pkg/volume/util/atomic_writer.go`) does it: the data lives in a timestamped directory
 * `..2026_11_27_05_00_00.123456789`, `..data` links to it and each key `name` is a symlink
 * `name -> ..data/name`. An update writes a new timestamped directory, links `..data_tmp` to it,
 * renames `..data_tmp` over `..data`, creates the links of new keys, removes those of dropped
 * keys, then deletes the old directory.
 *
 * @module
 */

/** A ConfigMap-style directory. */
export interface ConfigMapVolume {
  /** The mounted directory. */
  readonly dir: string;
  /** Replace the whole payload (key → text) as kubelet does. */
  update(files: Record<string, string>): Promise<void>;
  /** Remove the directory. */
  remove(): Promise<void>;
}

/** kubelet's timestamped directory name, `..2026_11_27_05_00_00.123456789` (random suffix). */
function tsDirName(): string {
  const t = new Date().toISOString().replace(/[-:T]/g, "_").replace(/\..*/, "");
  return `..${t}.${String(Math.floor(Math.random() * 1e9)).padStart(9, "0")}`;
}

/**
 * Make a ConfigMap-style directory holding `files`.
 *
 * @param files The initial payload, key → text.
 * @returns The volume; `update()` performs kubelet's atomic-writer dance.
 * @example
 * ```ts ignore
 * const cm = await configMapVolume({ "linkerd.yaml": "..." });
 * await cm.update({ "linkerd.yaml": "...new..." });
 * await cm.remove();
 * ```
 */
export async function configMapVolume(files: Record<string, string>): Promise<ConfigMapVolume> {
  const dir = await Deno.makeTempDir({ prefix: "sy-cm-" });
  let keys = new Set<string>();

  async function update(next: Record<string, string>): Promise<void> {
    const old = await Deno.readLink(`${dir}/..data`).catch(() => undefined);
    const ts = tsDirName();
    await Deno.mkdir(`${dir}/${ts}`);
    for (const [k, text] of Object.entries(next)) {
      const sub = k.lastIndexOf("/");
      if (sub > 0) await Deno.mkdir(`${dir}/${ts}/${k.slice(0, sub)}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${ts}/${k}`, text);
    }
    await Deno.symlink(ts, `${dir}/..data_tmp`);
    await Deno.rename(`${dir}/..data_tmp`, `${dir}/..data`);
    const nextKeys = new Set(Object.keys(next).map((k) => k.split("/")[0] as string));
    for (const k of nextKeys) {
      if (!keys.has(k)) await Deno.symlink(`..data/${k}`, `${dir}/${k}`);
    }
    for (const k of keys) if (!nextKeys.has(k)) await Deno.remove(`${dir}/${k}`);
    keys = nextKeys;
    if (old !== undefined) await Deno.remove(`${dir}/${old}`, { recursive: true });
  }

  await update(files);
  return { dir, update, remove: () => Deno.remove(dir, { recursive: true }) };
}
