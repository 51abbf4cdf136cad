import { assert, assertEquals } from "../tests/support/assert.ts";
import { refreshedAddrs } from "./_refresh.ts";
import { timerFor } from "./_timer.ts";
import { address, boundAddr } from "./addr.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";

const flush = () => new Promise((r) => setTimeout(r, 0));

Deno.test("refreshedAddrs() stops refreshing a name nobody uses, and resolves it again when used", async () => {
  const clock = new FakeClock();
  let calls = 0;
  const addrs = refreshedAddrs(5_000, timerFor(clock), {
    idleMs: 60_000,
    now: () => clock.mono(),
  });
  const resolve = () => {
    calls++;
    return Promise.resolve(boundAddr([address("10.0.0.1", 80)]));
  };
  const a = addrs.addr("a 80", "inet a", resolve);
  await flush();
  assertEquals(a.get().type, "bound");
  assertEquals(addrs.size, 1);
  // Read once, then left alone: refreshed every 5 s until 60 s after that read, then forgotten.
  for (let t = 0; t < 30; t++) {
    clock.advance(5_000);
    await flush();
  }
  assertEquals(addrs.size, 0);
  const stoppedAt = calls;
  assert(stoppedAt >= 12 && stoppedAt <= 14, `${stoppedAt} resolutions`);
  clock.advance(60_000);
  await flush();
  assertEquals(calls, stoppedAt); // no more resolutions
  // A later lookup of the name resolves it again.
  const again = addrs.addr("a 80", "inet a", resolve);
  await flush();
  assertEquals(calls, stoppedAt + 1);
  assertEquals(again.get().type, "bound");
  await addrs.close();
});

Deno.test("refreshedAddrs() keeps refreshing a name while someone subscribes to it", async () => {
  const clock = new FakeClock();
  let calls = 0;
  const addrs = refreshedAddrs(5_000, timerFor(clock), {
    idleMs: 60_000,
    now: () => clock.mono(),
  });
  const a = addrs.addr("b 80", "inet b", () => {
    calls++;
    return Promise.resolve(boundAddr([address("10.0.0.2", 80)]));
  });
  const off = a.subscribe(() => {}); // a client's balancer follows it
  for (let t = 0; t < 60; t++) {
    clock.advance(5_000);
    await flush();
  }
  assertEquals(addrs.size, 1);
  assert(calls >= 60, `${calls} resolutions over 300 s`);
  off(); // the client closed: forgotten 60 s later
  for (let t = 0; t < 14; t++) {
    clock.advance(5_000);
    await flush();
  }
  assertEquals(addrs.size, 0);
  await addrs.close();
});
