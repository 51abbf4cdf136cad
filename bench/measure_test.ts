import { assertEquals } from "../tests/support/assert.ts";
import { othersCpu } from "./measure.ts";
import { type SystemTicks, systemTicks } from "./proc_stat.ts";

const ticks = (busy: number, steal: number): SystemTicks => ({ busy, irq: 0, steal, total: 0 });

Deno.test("othersCpu() counts other processes' CPU and the hypervisor's steal time apart", () => {
  // 5 s at 100 ticks/s: 600 busy ticks, 400 of them ours, wrk 1 s; 100 ticks stolen.
  assertEquals(othersCpu(ticks(1000, 10), ticks(1600, 110), 400, 1, 100, 5), {
    foreign: 20,
    steal: 20,
  });
  // Nobody else: busy is all ours and wrk's; no steal.
  assertEquals(othersCpu(ticks(1000, 10), ticks(1500, 10), 400, 1, 100, 5), {
    foreign: 0,
    steal: 0,
  });
  // Tick rounding may make ours exceed the machine's busy ticks: never below 0.
  assertEquals(othersCpu(ticks(1000, 10), ticks(1300, 10), 400, 1, 100, 5).foreign, 0);
});

Deno.test("systemTicks() reads this machine's steal time as a counter that never goes back", () => {
  const a = systemTicks();
  const b = systemTicks();
  assertEquals(Number.isInteger(a.steal) && a.steal >= 0, true);
  assertEquals(b.steal >= a.steal && b.total >= a.total, true);
});
