/**
 * A capturing Io for in-process command tests. Folder-private.
 *
 * @module
 */
import type { Io } from "./_term.ts";

/** An Io that keeps what it was given. */
export interface CaptureIo extends Io {
  readonly lines: string[];
  readonly errors: string[];
}

/**
 * Make a capturing Io (no color).
 *
 * @returns The Io and its captured lines.
 */
export function captureIo(): CaptureIo {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (l) => void lines.push(l),
    err: (l) => void errors.push(l),
    color: false,
  };
}
