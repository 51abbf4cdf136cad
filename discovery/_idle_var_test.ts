import { assertEquals } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { mutableVar } from "../router/core/var.ts";
import { idleStopped } from "./_idle_var.ts";
import { timerFor } from "./_timer.ts";

function setup() {
  const clock = new FakeClock();
  const inner = mutableVar(0);
  const log: string[] = [];
  let running = false;
  const idle = idleStopped(inner, {
    idleMs: 1000,
    now: () => clock.now(),
    setTimer: timerFor(clock),
    running: () => running,
    start() {
      running = true;
      log.push("start");
    },
    stop() {
      running = false;
      log.push("stop");
    },
  });
  return { clock, inner, log, idle };
}

Deno.test("idleStopped() starts on a read and stops idleMs after the last read", () => {
  const { clock, log, idle } = setup();
  assertEquals(log, []);
  idle.value.get();
  clock.advance(600);
  idle.value.get(); // a read pushes the stop back
  clock.advance(600);
  assertEquals(log, ["start"]);
  clock.advance(400);
  assertEquals(log, ["start", "stop"]);
  idle.value.get(); // used again: watched again
  assertEquals(log, ["start", "stop", "start"]);
});

Deno.test("idleStopped() runs while subscribed, then idleMs after the last unsubscribe", () => {
  const { clock, inner, log, idle } = setup();
  const seen: number[] = [];
  const off = idle.value.subscribe((v) => seen.push(v));
  inner.set(1);
  clock.advance(5000);
  assertEquals(log, ["start"]);
  off();
  off(); // once only
  clock.advance(999);
  assertEquals(log, ["start"]);
  clock.advance(1);
  assertEquals(log, ["start", "stop"]);
  assertEquals(seen.at(-1), 1);
});

Deno.test("idleStopped() cancel() drops the pending stop", () => {
  const { clock, log, idle } = setup();
  idle.value.get();
  idle.cancel();
  clock.advance(5000);
  assertEquals(log, ["start"]);
});
