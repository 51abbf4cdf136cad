import { assertEquals } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { sleep, timerFor } from "./_timer.ts";

Deno.test("sleep() resolves when the time is up, or at once when its signal aborts", async () => {
  const clock = new FakeClock();
  const setTimer = timerFor(clock);
  let done = false;
  const slept = sleep(1000, setTimer, new AbortController().signal).then(() => done = true);
  clock.advance(999);
  await Promise.resolve();
  assertEquals(done, false);
  clock.advance(1);
  await slept;
  const stop = new AbortController();
  const cut = sleep(60_000, setTimer, stop.signal);
  stop.abort();
  await cut; // no time passed
  await sleep(60_000, setTimer, stop.signal); // already aborted
});
