import { assert, assertAlmostEquals, assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { parseSampleHeader, sampledAtRate } from "./sampler.ts";
import { newId64 } from "./ids.ts";

Deno.test("parseSampleHeader() clamps to [0, 1] and ignores junk", () => {
  assertEquals(parseSampleHeader(null), undefined);
  assertEquals(parseSampleHeader(""), undefined);
  assertEquals(parseSampleHeader("abc"), undefined);
  assertEquals(parseSampleHeader("0.25"), 0.25);
  assertEquals(parseSampleHeader(" 1.0 "), 1);
  assertEquals(parseSampleHeader("7"), 1);
  assertEquals(parseSampleHeader("-0.5"), 0);
  // Linkerd reads it with Scala's toFloat (Java's Float.parseFloat).
  assertEquals(parseSampleHeader("1f"), 1);
  assertEquals(parseSampleHeader("0.5D"), 0.5);
  assertEquals(parseSampleHeader("0x1p-1"), 0.5);
  assertEquals(parseSampleHeader("0x.8p0"), 0.5);
  assertEquals(parseSampleHeader(".25"), 0.25);
  assertEquals(parseSampleHeader("2.5e-1"), 0.25);
  assertEquals(parseSampleHeader("0x10"), undefined);
  assertEquals(parseSampleHeader("0b1"), undefined);
  assertEquals(parseSampleHeader("1_0"), undefined);
  assertEquals(parseSampleHeader("NaN"), undefined);
});

Deno.test("sampledAtRate() is all-or-nothing at the ends and deterministic per trace id", () => {
  assert(sampledAtRate("ffffffffffffffff", 1));
  assert(!sampledAtRate("0000000000000001", 0));
  assertEquals(sampledAtRate("00000000000000000000000000001000", 0.5), true);
  assertEquals(sampledAtRate("00000000fffffff0", 0.5), false);
  assertEquals(sampledAtRate("a3ce929d0e0e4736", 0.3), sampledAtRate("a3ce929d0e0e4736", 0.3));
});

Deno.test("sampledAtRate() samples about `rate` of random trace ids", () => {
  const clock = new FakeClock({ seed: 3 });
  let n = 0;
  for (let i = 0; i < 20_000; i++) if (sampledAtRate(newId64(() => clock.random()), 0.1)) n++;
  assertAlmostEquals(n / 20_000, 0.1, 0.01);
});
