/**
 * HTTP/2 reset codes as Linkerd's h2 router passes them on (`Netty4Message.Reset`): a stream reset
 * by one side is reset on the other with the same code when Linkerd has a `Reset` for it, and
 * with `INTERNAL_ERROR` otherwise. Folder-private (the h2 client and server).
 *
 * @module
 */

/** NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, STREAM_CLOSED, REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM. */
const PASSED: ReadonlySet<number> = new Set([0, 1, 2, 5, 7, 8, 11]);

/** `INTERNAL_ERROR` */
export const INTERNAL_ERROR = 2;
/** `CANCEL` */
export const CANCEL = 8;

/** The code to pass a reset with `code` on with (`undefined`: the stream was cancelled). */
export function passedResetCode(code: number | undefined): number {
  if (code === undefined) return CANCEL;
  return PASSED.has(code) ? code : INTERNAL_ERROR;
}

/** The reset code an abort reason carries (`resetCode`, set by the h2 server), else `CANCEL`. */
export function abortResetCode(reason: unknown): number {
  const code = (reason as { resetCode?: unknown } | null | undefined)?.resetCode;
  return typeof code === "number" ? code : CANCEL;
}
