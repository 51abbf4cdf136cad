/**
 * The span pipeline between the tracer and the exporters: a bounded queue drained in batches,
 * off the request path. Ending a span only pushes onto an array; when the queue is full the span
 * is dropped and counted, so a slow or dead collector never blocks or fails a request and never
 * grows memory. A batch goes out when `maxBatchSize` spans are waiting or `delayMs` after the first
 * one queued (no timer runs while the queue is empty); one export runs at a time; each export is
 * aborted after `exportTimeoutMs`. `shutdown()` stops the timer and flushes what is queued, giving
 * up (aborting exports, dropping the rest) after `shutdownTimeoutMs` so a hung collector cannot hold
 * a process that is stopping.
 *
 * @module
 */
import type { FinishedSpan } from "./tracer.ts";

/** A span exporter (OTLP/HTTP JSON, Zipkin v2 JSON). */
export interface SpanExporter {
  /** For logs: `otlp http://…`. */
  readonly name: string;
  /** Send one batch; reject on failure. Must honour `signal`. */
  export(spans: readonly FinishedSpan[], signal: AbortSignal): Promise<void>;
}

/** Timers for the processor (a `Clock` fits). */
export interface ProcessorClock {
  setTimer(ms: number, fn: () => void): () => void;
}

/** Options of {@link createBatchProcessor}. */
export interface BatchProcessorOptions {
  readonly exporters: readonly SpanExporter[];
  readonly clock: ProcessorClock;
  /** Spans held at most (default 2048, the OTel SDK's). */
  readonly maxQueueSize?: number;
  /** Spans per export (default 512). */
  readonly maxBatchSize?: number;
  /** Wait after the first queued span (default 1000 ms). */
  readonly delayMs?: number;
  /** Abort an export after this long (default 10000 ms). */
  readonly exportTimeoutMs?: number;
  /** `shutdown()` gives up after this long (default 3000 ms). */
  readonly shutdownTimeoutMs?: number;
  /** An exporter started failing (`error` set) or recovered (`error` undefined). */
  readonly onHealth?: (exporter: string, error: unknown) => void;
}

/** A running processor. */
export interface BatchProcessor {
  /** Queue one ended span (the tracer's sink). Never blocks or throws. */
  onEnd(span: FinishedSpan): void;
  /** Export everything queued now. */
  flush(): Promise<void>;
  /** Stop accepting spans, flush, release the timer. */
  shutdown(): Promise<void>;
  /** Counters: spans queued, exported (per batch that reached at least one exporter), dropped. */
  stats(): { queued: number; exported: number; dropped: number };
}

/**
 * Make a batch processor over `exporters`.
 *
 * @example
 * ```ts
 * import { createBatchProcessor } from "./batch_processor.ts";
 * const p = createBatchProcessor({
 *   exporters: [{ name: "null", export: () => Promise.resolve() }],
 *   clock: { setTimer: (ms, fn) => { const t = setTimeout(fn, ms); return () => clearTimeout(t); } },
 * });
 * await p.shutdown();
 * ```
 */
export function createBatchProcessor(opts: BatchProcessorOptions): BatchProcessor {
  const maxQueue = opts.maxQueueSize ?? 2048;
  const maxBatch = opts.maxBatchSize ?? 512;
  const delayMs = opts.delayMs ?? 1000;
  const timeoutMs = opts.exportTimeoutMs ?? 10_000;
  const shutdownMs = opts.shutdownTimeoutMs ?? 3000;
  const inflight = new Set<AbortController>();
  const failing = new Map<string, boolean>();
  let queue: FinishedSpan[] = [];
  let cancelTimer: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let closed = false;
  let gaveUp = false;
  let exported = 0, dropped = 0;

  async function exportOne(e: SpanExporter, batch: readonly FinishedSpan[]): Promise<boolean> {
    const ac = new AbortController();
    const cancel = opts.clock.setTimer(timeoutMs, () => ac.abort(new Error("export timed out")));
    inflight.add(ac);
    try {
      await e.export(batch, ac.signal);
      if (failing.get(e.name)) opts.onHealth?.(e.name, undefined);
      failing.set(e.name, false);
      return true;
    } catch (err: unknown) {
      if (!failing.get(e.name)) opts.onHealth?.(e.name, err);
      failing.set(e.name, true);
      return false;
    } finally {
      cancel();
      inflight.delete(ac);
    }
  }

  async function drain(): Promise<void> {
    // Only what is queued now: spans that arrive meanwhile wait for the next timer, so a dead
    // collector under load costs one export per batch, not a hot loop.
    let n = queue.length;
    while (n > 0 && !gaveUp) {
      const batch = queue.slice(0, Math.min(maxBatch, n));
      queue = queue.slice(batch.length);
      n -= batch.length;
      const ok = await Promise.all(opts.exporters.map((e) => exportOne(e, batch)));
      if (ok.some(Boolean)) exported += batch.length;
    }
  }

  function flush(): Promise<void> {
    cancelTimer?.();
    cancelTimer = undefined;
    running ??= drain().finally(() => {
      running = undefined;
      if (queue.length > 0 && !closed) schedule(queue.length >= maxBatch ? 0 : delayMs);
    });
    return running;
  }

  function schedule(ms: number): void {
    if (cancelTimer || running) return;
    cancelTimer = opts.clock.setTimer(ms, () => {
      cancelTimer = undefined;
      void flush();
    });
  }

  return {
    onEnd(span) {
      if (closed || queue.length >= maxQueue) {
        dropped++;
        return;
      }
      queue.push(span);
      if (queue.length >= maxBatch) {
        cancelTimer?.();
        cancelTimer = undefined;
        schedule(0);
      } else schedule(delayMs);
    },
    flush,
    async shutdown() {
      closed = true;
      const cancel = opts.clock.setTimer(shutdownMs, () => {
        gaveUp = true;
        dropped += queue.length;
        queue = [];
        for (const ac of inflight) ac.abort(new Error("shutting down"));
      });
      try {
        await running;
        await flush();
      } finally {
        cancel();
      }
    },
    stats: () => ({ queued: queue.length, exported, dropped }),
  };
}
