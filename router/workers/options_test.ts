import { assertEquals } from "../../tests/support/assert.ts";
import { parseWorkers } from "./options.ts";

Deno.test("parseWorkers() takes a positive integer or auto", () => {
  assertEquals(parseWorkers("2"), 2);
  assertEquals(parseWorkers("auto"), Math.max(1, navigator.hardwareConcurrency));
  assertEquals(parseWorkers("1024"), 1024);
  for (const bad of ["0", "-1", "1.5", "two", "", "1025"]) {
    let threw = false;
    try {
      parseWorkers(bad);
    } catch (e: unknown) {
      threw = e instanceof RangeError;
    }
    assertEquals(threw, true, bad);
  }
});
