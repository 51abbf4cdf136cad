/**
 * Folder-private assertions for the metrics tests (no assertion library is a project dependency,
 * and `node:assert` would need `@types/node`). Same shapes as `@std/assert`.
 *
 * @module
 */

/** Error thrown by a failed assertion. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

/** Throws unless `actual` and `expected` are deeply equal (plain data: objects, arrays, primitives). */
export function assertEquals(actual: unknown, expected: unknown, msg?: string): void {
  if (!deepEqual(actual, expected)) {
    throw new AssertionError(
      `${msg ? `${msg}: ` : ""}values differ\nactual:   ${show(actual)}\nexpected: ${
        show(expected)
      }`,
    );
  }
}

/** Throws unless `actual === expected`. */
export function assertStrictEquals(actual: unknown, expected: unknown, msg?: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(
      `${msg ? `${msg}: ` : ""}not the same value: ${show(actual)} vs ${show(expected)}`,
    );
  }
}

/** Throws unless `fn` throws an instance of `type`. */
export function assertThrows(
  fn: () => unknown,
  type: abstract new (...args: never[]) => Error,
): void {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof type) return;
    throw new AssertionError(`expected ${type.name}, got ${String(e)}`);
  }
  throw new AssertionError(`expected ${type.name}, nothing was thrown`);
}

/** Throws unless `|actual - expected| <= tolerance · |expected|`. */
export function assertRelative(
  actual: number,
  expected: number,
  tolerance: number,
  msg = "",
): void {
  const err = expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
  if (!(err <= tolerance)) {
    throw new AssertionError(`${msg} ${actual} is not within ${tolerance * 100}% of ${expected}`);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && deepEqual(ra[k], rb[k]));
}

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v, null, 1) ?? String(v);
}
