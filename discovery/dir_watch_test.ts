import { assert, assertEquals } from "../tests/support/assert.ts";
import { mutableVar } from "../router/core/var.ts";
import { symlinkHolders, watchDir, watchFiles } from "./dir_watch.ts";
import { waitFor } from "./_testing.ts";

Deno.test("watchDir() coalesces a burst of events into one callback", async () => {
  const dir = await Deno.makeTempDir();
  const bursts = mutableVar(0);
  const w = watchDir(dir, () => bursts.set(bursts.get() + 1), { debounceMs: 80 });
  try {
    assert(w.alive);
    for (let i = 0; i < 5; i++) await Deno.writeTextFile(`${dir}/f${i}`, "x");
    await waitFor(bursts, (n) => n >= 1, 2000);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(bursts.get(), 1);
  } finally {
    await w.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watchDir() is not alive for a missing directory", async () => {
  const w = watchDir("/definitely/not/here", () => {});
  assertEquals(w.alive, false);
  await w.close();
});

Deno.test("watchDir() close() cancels a pending callback", async () => {
  const dir = await Deno.makeTempDir();
  let called = false;
  const w = watchDir(dir, () => called = true, { debounceMs: 50 });
  try {
    await Deno.writeTextFile(`${dir}/f`, "x");
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    await w.close();
  }
  await new Promise((r) => setTimeout(r, 100));
  assertEquals(called, false);
  assertEquals(w.alive, false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("symlinkHolders() names every link on the way, by the directory holding it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A ConfigMap volume with an item directory: l5d -> ..data/l5d, ..data -> ..2026_...
    await Deno.mkdir(`${dir}/..2026_11_27_05_00_00.1/l5d`, { recursive: true });
    await Deno.writeTextFile(`${dir}/..2026_11_27_05_00_00.1/l5d/linkerd.yaml`, "");
    await Deno.symlink("..2026_11_27_05_00_00.1", `${dir}/..data`);
    await Deno.symlink("..data/l5d", `${dir}/l5d`);
    const real = await Deno.realPath(dir); // the temp dir may itself be reached by a link
    const holders = symlinkHolders(`${real}/l5d/linkerd.yaml`);
    assertEquals(holders, new Map([[real, new Set(["l5d", "..data"])]]));
    assertEquals(symlinkHolders(`${real}/..2026_11_27_05_00_00.1/l5d`), new Map());
    assertEquals(symlinkHolders(`${real}/missing/x`), new Map());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watchDir() non-recursive with a filter sees only the events it accepts", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/sub`);
  const seen: string[] = [];
  const w = watchDir(dir, () => {}, {
    recursive: false,
    filter: (ev) => ev.paths.some((p) => p.endsWith("/want")),
    onEvent: (ev) => seen.push(...ev.paths.map((p) => p.slice(p.lastIndexOf("/") + 1))),
  });
  try {
    await Deno.writeTextFile(`${dir}/sub/want`, "x"); // below: not watched
    await Deno.writeTextFile(`${dir}/other`, "x"); // filtered out
    await Deno.writeTextFile(`${dir}/want`, "x");
    const end = Date.now() + 3000;
    while (seen.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    assert(seen.length > 0 && seen.every((n) => n === "want"), JSON.stringify(seen));
  } finally {
    await w.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watchFiles() sees its files' names and each ..data swap, and skips other names", async () => {
  // A ConfigMap item directory: `l5d -> ..data/l5d`, `..data -> ..v1`
  const dir = await Deno.makeTempDir();
  const version = async (v: string) => {
    await Deno.mkdir(`${dir}/${v}/l5d`, { recursive: true });
    await Deno.writeTextFile(`${dir}/${v}/l5d/config.yaml`, v);
  };
  await version("..v1");
  await Deno.symlink("..v1", `${dir}/..data`);
  await Deno.symlink("..data/l5d", `${dir}/l5d`);
  const changes = mutableVar(0);
  const failed: string[] = [];
  const w = watchFiles(
    () => [`${dir}/l5d/config.yaml`, "/definitely/not/here/x"],
    () => changes.set(changes.get() + 1),
    (d) => failed.push(d),
  );
  const settle = () => new Promise((r) => setTimeout(r, 200));
  try {
    assertEquals(failed, ["/definitely/not/here"]);
    await Deno.writeTextFile(`${dir}/..v1/l5d/other.txt`, "x"); // not a watched name
    await settle();
    assertEquals(changes.get(), 0);
    // The kubelet's update: a new directory, a temp link renamed over `..data`
    const swap = async (v: string) => {
      await version(v);
      await Deno.symlink(v, `${dir}/..data_tmp`);
      await Deno.rename(`${dir}/..data_tmp`, `${dir}/..data`);
    };
    await swap("..v2");
    await waitFor(changes, (n) => n >= 1, 2000);
    w.rewatch(); // what the owners do after each burst
    await settle();
    const seen = changes.get();
    await swap("..v3");
    await waitFor(changes, (n) => n > seen, 2000);
  } finally {
    w.close();
    await Deno.remove(dir, { recursive: true });
  }
});
