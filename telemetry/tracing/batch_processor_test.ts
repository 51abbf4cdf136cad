import { assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { createBatchProcessor, type SpanExporter } from "./batch_processor.ts";
import type { FinishedSpan } from "./tracer.ts";

function span(i: number): FinishedSpan {
  return {
    traceId: "0000000000000000a3ce929d0e0e4736",
    spanId: (i + 1).toString(16).padStart(16, "0"),
    parentSpanId: "",
    name: `s${i}`,
    kind: SpanKind.SERVER,
    startMs: 0,
    endMs: 1,
    attributes: {},
    status: { code: SpanStatusCode.UNSET },
    events: [],
    scope: "t",
  };
}

function recorder(fail = false) {
  const batches: string[][] = [];
  const exporter: SpanExporter = {
    name: "rec",
    export(spans) {
      batches.push(spans.map((s) => s.name));
      return fail ? Promise.reject(new Error("collector down")) : Promise.resolve();
    },
  };
  return { batches, exporter };
}

Deno.test("createBatchProcessor() exports after the delay, with no timer while idle", async () => {
  const clock = new FakeClock();
  const { batches, exporter } = recorder();
  const p = createBatchProcessor({ exporters: [exporter], clock, delayMs: 1000 });
  assertEquals(clock.pending, 0);
  p.onEnd(span(0));
  p.onEnd(span(1));
  assertEquals(clock.pending, 1, "one timer for the batch");
  await clock.tick(999);
  assertEquals(batches, []);
  await clock.tick(1);
  assertEquals(batches, [["s0", "s1"]]);
  assertEquals(clock.pending, 0, "idle again");
  assertEquals(p.stats(), { queued: 0, exported: 2, dropped: 0 });
  await p.shutdown();
});

Deno.test("createBatchProcessor() sends full batches at once and drops past the queue bound", async () => {
  const clock = new FakeClock();
  const { batches, exporter } = recorder();
  const p = createBatchProcessor({
    exporters: [exporter],
    clock,
    maxBatchSize: 2,
    maxQueueSize: 3,
  });
  for (let i = 0; i < 5; i++) p.onEnd(span(i));
  assertEquals(p.stats().dropped, 2);
  await clock.tick(0);
  await clock.tick(0);
  assertEquals(batches, [["s0", "s1"], ["s2"]]);
});

Deno.test("createBatchProcessor() never throws when the collector fails, and reports health once", async () => {
  const clock = new FakeClock();
  const { batches, exporter } = recorder(true);
  const health: string[] = [];
  const p = createBatchProcessor({
    exporters: [exporter],
    clock,
    onHealth: (name, err) => health.push(`${name} ${err === undefined ? "ok" : "failing"}`),
  });
  for (let round = 0; round < 3; round++) {
    p.onEnd(span(round));
    await clock.tick(1000);
  }
  assertEquals(batches.length, 3);
  assertEquals(health, ["rec failing"]);
  assertEquals(p.stats().exported, 0);
  await p.shutdown();
});

Deno.test("createBatchProcessor() shutdown() flushes what is queued and refuses more", async () => {
  const clock = new FakeClock();
  const { batches, exporter } = recorder();
  const p = createBatchProcessor({ exporters: [exporter], clock });
  p.onEnd(span(0));
  await p.shutdown();
  assertEquals(batches, [["s0"]]);
  assertEquals(clock.pending, 0);
  p.onEnd(span(1));
  assertEquals(p.stats().dropped, 1);
});

Deno.test("createBatchProcessor() aborts an export that outlives exportTimeoutMs", async () => {
  const clock = new FakeClock();
  let aborted = false;
  const hanging: SpanExporter = {
    name: "hang",
    export: (_s, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(signal.reason);
        });
      }),
  };
  const p = createBatchProcessor({ exporters: [hanging], clock, exportTimeoutMs: 500 });
  p.onEnd(span(0));
  await clock.tick(1000); // batch starts
  await clock.tick(500); // export times out
  assertEquals(aborted, true);
  await p.shutdown();
});

Deno.test("createBatchProcessor() shutdown() gives up on a hung collector after shutdownTimeoutMs", async () => {
  const clock = new FakeClock();
  const hung: SpanExporter = {
    name: "hung",
    export: (_s, signal) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason))
      ),
  };
  const p = createBatchProcessor({
    exporters: [hung],
    clock,
    maxBatchSize: 1,
    shutdownTimeoutMs: 200,
  });
  p.onEnd(span(0));
  p.onEnd(span(1));
  let done = false;
  const stopping = p.shutdown().then(() => (done = true));
  await clock.tick(199);
  assertEquals(done, false);
  await clock.tick(1);
  await stopping;
  assertEquals(p.stats(), { queued: 0, exported: 0, dropped: 1 });
  assertEquals(clock.pending, 0);
});
