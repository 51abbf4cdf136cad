/**
 * A proxy serves many connections in one isolate: an error that escapes one of them (a throw in
 * an event handler, a rejection nobody awaited) must not end the process and drop every other
 * connection. While serving, such errors are logged with their stack and the process goes on,
 * as a JVM thread's uncaught exception does not stop Linkerd.
 *
 * @example
 * ```ts
 * import { keepServingOnStrayErrors } from "./stray_errors.ts";
 * import { createLogger } from "../../telemetry/log.ts";
 * const off = keepServingOnStrayErrors(createLogger({ level: "error" }));
 * off();
 * ```
 *
 * @module
 */
import type { Logger } from "../../telemetry/log.ts";

/**
 * Log, instead of dying of, uncaught errors and unhandled rejections.
 *
 * @param log where to report them
 * @returns a function that removes the handlers
 */
export function keepServingOnStrayErrors(log: Logger): () => void {
  const onError = (e: ErrorEvent) => {
    e.preventDefault();
    log.error("uncaught error; the process keeps serving", { error: e.error ?? e.message });
  };
  const onRejection = (e: PromiseRejectionEvent) => {
    e.preventDefault();
    log.error("unhandled rejection; the process keeps serving", { error: e.reason });
  };
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onRejection);
  return () => {
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  };
}
