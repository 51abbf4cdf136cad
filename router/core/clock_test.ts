import { assert, assertEquals } from "../../tests/support/assert.ts";
import { holdMono, restoreMono, systemClock } from "./clock.ts";

Deno.test("holdMono: mono() answers the held reading until restored, nested holds unwind", () => {
  const t0 = systemClock.mono();
  const outer = holdMono(t0);
  try {
    assertEquals(systemClock.mono(), t0);
    const inner = holdMono(t0 + 5);
    try {
      assertEquals(systemClock.mono(), t0 + 5);
    } finally {
      restoreMono(inner);
    }
    assertEquals(systemClock.mono(), t0);
  } finally {
    restoreMono(outer);
  }
  assert(Number.isNaN(outer));
  // Fresh readings again once restored (the monotonic clock never goes back).
  assert(systemClock.mono() >= t0);
});

Deno.test("holdMono: what runs after an await reads the clock afresh", async () => {
  const t0 = systemClock.mono() - 1000; // a reading far in the past, to tell it apart
  const prev = holdMono(t0);
  let later = NaN;
  const p = Promise.resolve().then(() => later = systemClock.mono());
  try {
    assertEquals(systemClock.mono(), t0);
  } finally {
    restoreMono(prev);
  }
  await p;
  assert(later > t0 + 999, `a reaction saw ${later}, the held reading was ${t0}`);
});
