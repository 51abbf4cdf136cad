import { assert, assertEquals } from "../tests/support/assert.ts";
import { scanDir } from "./fs_scan.ts";

Deno.test("scanDir() lists files and directories, following symlinks but not cycles", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/a/b`, { recursive: true });
    await Deno.writeTextFile(`${dir}/a/b/c`, "x");
    await Deno.writeTextFile(`${dir}/top`, "x");
    await Deno.symlink(`${dir}/a`, `${dir}/a/loop`); // a cycle
    await Deno.symlink(`${dir}/a/b`, `${dir}/alias`); // an alias is a second name
    await Deno.symlink(`${dir}/nowhere`, `${dir}/dangling`);
    await Deno.mkdir(`${dir}/..hidden`);
    await Deno.writeTextFile(`${dir}/..hidden/x`, "x");
    const scan = await scanDir(dir);
    assertEquals([...scan.files.values()].map((f) => f.rel).sort(), [
      ["a", "b", "c"],
      ["alias", "c"],
      ["top"],
    ]);
    assertEquals([...scan.dirs.values()].sort(), [["a"], ["a", "b"], ["alias"]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanDir() stamps change when a file changes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/f`, "x");
    const s1 = (await scanDir(dir)).files.get('["f"]')?.stamp;
    await Deno.writeTextFile(`${dir}/f`, "xy");
    const s2 = (await scanDir(dir)).files.get('["f"]')?.stamp;
    assert(s1 !== undefined && s1 !== s2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanDir() rejects a missing root", async () => {
  let threw = false;
  try {
    await scanDir("/definitely/not/here");
  } catch (e: unknown) {
    threw = e instanceof Deno.errors.NotFound;
  }
  assert(threw);
});
