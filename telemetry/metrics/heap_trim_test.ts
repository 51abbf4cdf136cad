import { assert, assertEquals } from "./_assert.ts";
import { startHeapTrimmer, v8Collector } from "./heap_trim.ts";

function fakeHeap() {
  const h = { total: 10e6, collections: 0, requests: 0 };
  return {
    h,
    opts: {
      activity: () => h.requests,
      collect: () => void h.collections++,
      heapTotal: () => h.total,
      intervalMs: 3_600_000, // checks are driven by hand
      minGrowthBytes: 4e6,
      quietChecks: 1,
    },
  };
}

Deno.test("startHeapTrimmer() collects once the process is idle", () => {
  const { h, opts } = fakeHeap();
  const t = startHeapTrimmer(opts);
  try {
    t.check();
    assertEquals(h.collections, 1);
    assertEquals(t.trims, 1);
    t.check(); // still idle, heap did not grow: nothing to give back
    assertEquals(h.collections, 1);
  } finally {
    t.stop();
  }
});

Deno.test("startHeapTrimmer() never collects while requests keep starting", () => {
  const { h, opts } = fakeHeap();
  const t = startHeapTrimmer(opts);
  try {
    for (let i = 0; i < 5; i++) {
      h.requests++;
      h.total += 10e6;
      t.check();
    }
    assertEquals(h.collections, 0);
    t.check(); // the first quiet interval
    assertEquals(h.collections, 1);
  } finally {
    t.stop();
  }
});

Deno.test("startHeapTrimmer() collects again only after the heap grew by minGrowthBytes", () => {
  const { h, opts } = fakeHeap();
  const t = startHeapTrimmer(opts);
  try {
    t.check();
    h.total += 3e6;
    t.check();
    assertEquals(h.collections, 1);
    h.total += 2e6;
    t.check();
    assertEquals(h.collections, 2);
  } finally {
    t.stop();
  }
});

Deno.test("startHeapTrimmer() waits for quietChecks intervals without a new request", () => {
  const { h, opts } = fakeHeap();
  const t = startHeapTrimmer({ ...opts, quietChecks: 3, firstQuietChecks: 3 });
  try {
    t.check();
    t.check();
    assertEquals(h.collections, 0);
    h.requests++; // a request in the third interval starts the count again
    t.check();
    t.check();
    t.check();
    assertEquals(h.collections, 0);
    t.check();
    assertEquals(h.collections, 1);
  } finally {
    t.stop();
  }
});

Deno.test("startHeapTrimmer() trims soon after start-up, later only after a long silence", () => {
  const { h, opts } = fakeHeap();
  const t = startHeapTrimmer({ ...opts, quietChecks: 5, firstQuietChecks: 1 });
  try {
    t.check();
    assertEquals(h.collections, 1); // start-up garbage goes back after one quiet interval
    h.requests++;
    t.check();
    h.total += 5e6; // a burst grew the heap
    for (let i = 0; i < 4; i++) t.check();
    assertEquals(h.collections, 1); // a short pause does not shrink the heap under the next burst
    t.check();
    assertEquals(h.collections, 2);
  } finally {
    t.stop();
  }
});

Deno.test("startHeapTrimmer() by default trims again only after 5 min without a request", () => {
  const { h, opts } = fakeHeap();
  const { quietChecks: _fakes, ...defaults } = opts;
  const t = startHeapTrimmer(defaults); // the default quietChecks; checks are 1 s apart
  try {
    t.check();
    assertEquals(h.collections, 1);
    h.requests++; // a burst after start-up grows the heap
    h.total += 8e6;
    t.check();
    for (let i = 0; i < 299; i++) t.check();
    assertEquals(h.collections, 1); // 299 s of silence: the heap stays for the next burst
    t.check();
    assertEquals(h.collections, 2);
  } finally {
    t.stop();
  }
});

Deno.test("v8Collector() returns V8's full collection, which frees unreachable objects", async () => {
  const gc = await v8Collector();
  assert(gc !== undefined, "gc() is available");
  let garbage: { i: number; s: string }[] | undefined = Array.from(
    { length: 300_000 },
    (_, i) => ({ i, s: `item-${i}` }),
  );
  gc(); // promote it: now it is old, the kind of memory only a full collection frees
  const held = Deno.memoryUsage().heapUsed;
  assertEquals(garbage.length, 300_000);
  garbage = undefined;
  gc();
  const freed = held - Deno.memoryUsage().heapUsed;
  assert(freed > 8e6, `a full collection freed ${freed} bytes`);
});
