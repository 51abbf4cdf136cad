/**
 * Folder-private test helpers: a Ctx for a request, and stub services. Tests only.
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import { Ctx } from "../router/core/ctx.ts";
import type { Service } from "../router/core/service.ts";

/** A Ctx as the server would make it, at `clock.now()`. */
export function testCtx(
  clock: Clock,
  opts: { deadline?: number; signal?: AbortSignal; url?: string } = {},
): Ctx {
  const url = new URL(opts.url ?? "http://hello.svc/path");
  const ctx = new Ctx({
    url,
    router: "test",
    signal: opts.signal ?? new AbortController().signal,
    startMs: clock.now(),
    host: url.host,
    target: url.pathname + url.search,
  });
  ctx.dstStr = "/svc/hello";
  if (opts.deadline !== undefined) ctx.deadline = opts.deadline;
  return ctx;
}

/** A request. */
export function req(method = "GET", body?: BodyInit): Request {
  return new Request("http://hello.svc/path", body === undefined ? { method } : { method, body });
}

/**
 * A service whose answer the test switches as it goes (`ep.answer`: a status, or an error to
 * reject with), counting its calls in `ep.calls`.
 */
export function switchable(): { ep: { answer: number | Error; calls: number }; call: Service } {
  const ep = { answer: 200 as number | Error, calls: 0 };
  const call: Service = () => {
    ep.calls++;
    const a = ep.answer;
    return a instanceof Error
      ? Promise.reject(a)
      : Promise.resolve(new Response(null, { status: a }));
  };
  return { ep, call };
}

/** A service answering from a script of statuses or errors, one per call (last repeats). */
export function scripted(script: readonly (number | Error)[]): Service & { calls: number } {
  const svc = Object.assign(
    (_req: Request) => {
      const step = script[Math.min(svc.calls, script.length - 1)]!;
      svc.calls++;
      return step instanceof Error
        ? Promise.reject(step)
        : Promise.resolve(new Response(`${step}`, { status: step }));
    },
    { calls: 0 },
  );
  return svc;
}

/** A service that answers after `ms` on the clock, or rejects when the upstream signal aborts. */
export function slow(
  clock: Clock,
  ms: number,
  signalOf: (ctx: Ctx) => AbortSignal,
  status = 200,
): Service & { calls: number; signals: AbortSignal[] } {
  const svc = Object.assign(
    (_req: Request, ctx: Ctx) => {
      svc.calls++;
      const signal = signalOf(ctx);
      svc.signals.push(signal);
      return new Promise<Response>((resolve, reject) => {
        const cancel = clock.setTimer(ms, () => resolve(new Response("slow", { status })));
        signal.addEventListener("abort", () => {
          cancel();
          reject(signal.reason);
        }, { once: true });
      });
    },
    { calls: 0, signals: [] as AbortSignal[] },
  );
  return svc;
}
