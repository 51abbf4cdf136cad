import { assertEquals } from "../../tests/support/assert.ts";
import { parseWorkers } from "./options.ts";

Deno.test("parseWorkers() takes a positive integer or auto", () => {
  assertEquals(parseWorkers("2"), 2);
  assertEquals(parseWorkers("auto"), Math.max(1, navigator.hardwareConcurrency));
  for (const bad of ["0", "-1", "1.5", "two", ""]) {
    let threw = false;
    try {
      parseWorkers(bad);
    } catch (e: unknown) {
      threw = e instanceof RangeError;
    }
    assertEquals(threw, true, bad);
  }
});
