import { assert, assertEquals } from "./_assert.ts";
import { mallocTrim, startMallocTrimmer } from "./malloc_trim.ts";

function fake() {
  const s = { requests: 0, trims: 0, t: 0 };
  const t = startMallocTrimmer({
    activity: () => s.requests,
    trim: () => s.trims++,
    now: () => s.t,
    intervalMs: 3_600_000, // checks are driven by hand
    busyEveryMs: 10_000,
  });
  return { s, t };
}

Deno.test("startMallocTrimmer() trims after start-up, then not again while idle", () => {
  const { s, t } = fake();
  try {
    t.check();
    assertEquals([s.trims, t.trims], [1, 1]);
    for (let i = 0; i < 5; i++) {
      s.t += 1000;
      t.check();
    }
    assertEquals(s.trims, 1, "nothing new to give back");
  } finally {
    t.stop();
  }
});

Deno.test("startMallocTrimmer() trims every busyEveryMs under traffic, and once as it goes quiet", () => {
  const { s, t } = fake();
  try {
    t.check(); // start-up
    // 25 s of traffic, a check a second: a trim 10 s after the last (start-up's), and so on.
    const at: number[] = [];
    for (let i = 0; i < 25; i++) {
      s.t += 1000;
      s.requests++;
      const before = s.trims;
      t.check();
      if (s.trims > before) at.push(s.t);
    }
    assertEquals(at, [10_000, 20_000]);
    s.t += 1000;
    t.check(); // quiet: what the last seconds of traffic left goes back
    assertEquals(s.trims, 4);
    s.t += 1000;
    t.check();
    assertEquals(s.trims, 4, "idle: no more");
  } finally {
    t.stop();
  }
});

Deno.test("mallocTrim() is glibc's malloc_trim on this Linux, and can be called", () => {
  const trim = mallocTrim();
  if (Deno.build.os !== "linux") return assertEquals(trim, undefined);
  assert(trim !== undefined, "libc.so.6 with malloc_trim, ffi granted (-A)");
  // Free some C heap memory first (a buffer V8 allocates and drops), then trim: a boolean back.
  for (let i = 0; i < 20; i++) new Uint8Array(1 << 20).fill(1);
  assertEquals(typeof trim(), "boolean");
});
