import { assertEquals, assertRejects } from "../tests/support/assert.ts";
import { eachLimited } from "./_each_limited.ts";

Deno.test("eachLimited() visits every item with at most limit calls in flight", async () => {
  let inFlight = 0;
  let most = 0;
  const seen: number[] = [];
  await eachLimited(Array.from({ length: 20 }, (_, i) => i), async (i) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, i % 3));
    seen.push(i);
    inFlight--;
  }, 4);
  assertEquals(seen.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  assertEquals(most, 4);
});

Deno.test("eachLimited() rejects with the first error and starts no new calls", async () => {
  const started: number[] = [];
  await assertRejects(
    () =>
      eachLimited([1, 2, 3, 4, 5, 6], (i) => {
        started.push(i);
        return i === 2 ? Promise.reject(new Error("boom")) : Promise.resolve();
      }, 2),
    "boom",
  );
  assertEquals(started.length < 6, true);
});
