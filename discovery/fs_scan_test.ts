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

Deno.test("scanDir() with the previous scan reuses unchanged entries, or returns it whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/d`);
    await Deno.writeTextFile(`${dir}/d/a`, "x");
    await Deno.writeTextFile(`${dir}/b`, "x");
    const s1 = await scanDir(dir);
    assert(await scanDir(dir, s1) === s1);
    await Deno.writeTextFile(`${dir}/b`, "xyz");
    const s2 = await scanDir(dir, s1);
    assert(s2 !== s1);
    assert(s2.files.get('["d","a"]') === s1.files.get('["d","a"]'));
    assert(s2.dirs.get('["d"]') === s1.dirs.get('["d"]'));
    assertEquals(s2.files.get('["b"]')?.size, 3);
    await Deno.remove(`${dir}/d/a`);
    const s3 = await scanDir(dir, s2);
    assertEquals([...s3.files.keys()], ['["b"]']);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
