import { assert, assertEquals } from "../tests/support/assert.ts";
import { mutableVar } from "../router/core/var.ts";
import { watchDir } from "./dir_watch.ts";
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
