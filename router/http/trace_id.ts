/**
 * Request ids: 64-bit lower-case hex, like Finagle trace ids (`l5d-reqid`).
 *
 * @module
 */

const HEX = "0123456789abcdef";

/** A random 16-hex-digit id from the given random source. */
export function newTraceId(random: () => number): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += HEX[(random() * 16) | 0];
  return s;
}
