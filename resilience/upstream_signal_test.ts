import { assertEquals } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { linkedController, setUpstreamSignal, upstreamSignal } from "./upstream_signal.ts";
import { testCtx } from "./_testing.ts";

Deno.test("upstreamSignal() is ctx.signal until a filter narrows it", () => {
  const ctx = testCtx(new FakeClock());
  assertEquals(upstreamSignal(ctx), ctx.signal);
  const narrowed = new AbortController().signal;
  setUpstreamSignal(ctx, narrowed);
  assertEquals(upstreamSignal(ctx), narrowed);
});

Deno.test("linkedController() aborts with its parent, and unlink() detaches it", () => {
  const parent = new AbortController();
  const { controller, unlink } = linkedController(parent.signal);
  const reason = new Error("gone");
  parent.abort(reason);
  assertEquals([controller.signal.aborted, controller.signal.reason], [true, reason]);
  const p2 = new AbortController();
  const linked = linkedController(p2.signal);
  linked.unlink();
  p2.abort();
  assertEquals(linked.controller.signal.aborted, false);
  unlink(); // idempotent
});

Deno.test("linkedController() of an aborted parent starts aborted", () => {
  const parent = new AbortController();
  parent.abort(new Error("early"));
  const { controller } = linkedController(parent.signal);
  assertEquals(controller.signal.aborted, true);
});
