import { assert, assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { isValidHexId, newId64, normalizeTraceId, traceId32 } from "./ids.ts";

Deno.test("newId64() makes 16 lower-case hex digits from the injected source", () => {
  const clock = new FakeClock({ seed: 7 });
  const ids = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const id = newId64(() => clock.random());
    assert(isValidHexId(id, 16), id);
    ids.add(id);
  }
  assertEquals(ids.size, 100);
  assertEquals(newId64(() => 0), "0000000000000001", "never all zeros");
  const again = new FakeClock({ seed: 7 });
  assertEquals(newId64(() => again.random()), [...ids][0], "deterministic for a seed");
});

Deno.test("isValidHexId() rejects upper case, wrong length and all zeros", () => {
  assert(isValidHexId("00f067aa0ba902b7", 16));
  assert(!isValidHexId("00F067AA0BA902B7", 16));
  assert(!isValidHexId("00f067aa0ba902b", 16));
  assert(!isValidHexId("0000000000000000", 16));
  assert(!isValidHexId("00f067aa0ba902bg", 16));
});

Deno.test("normalizeTraceId() lower-cases and shortens a zero high half", () => {
  assertEquals(
    normalizeTraceId("4BF92F3577B34DA6A3CE929D0E0E4736"),
    "4bf92f3577b34da6a3ce929d0e0e4736",
  );
  assertEquals(normalizeTraceId("0000000000000000a3ce929d0e0e4736"), "a3ce929d0e0e4736");
  assertEquals(normalizeTraceId("a3ce929d0e0e4736"), "a3ce929d0e0e4736");
  assertEquals(normalizeTraceId("00000000000000000000000000000000"), "");
  assertEquals(normalizeTraceId("abc"), "");
  assertEquals(traceId32("a3ce929d0e0e4736"), "0000000000000000a3ce929d0e0e4736");
  assertEquals(traceId32("4bf92f3577b34da6a3ce929d0e0e4736"), "4bf92f3577b34da6a3ce929d0e0e4736");
});
