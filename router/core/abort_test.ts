import { assert, assertEquals } from "../../tests/support/assert.ts";
import { fastAbortHooks, offAbort, onAbort } from "./abort.ts";

Deno.test("onAbort() runs the hook once, with the reason readable on the signal", () => {
  const ac = new AbortController();
  const seen: unknown[] = [];
  onAbort(ac.signal, () => seen.push(ac.signal.reason));
  const reason = new Error("gone");
  ac.abort(reason);
  ac.abort(new Error("again"));
  assertEquals(seen, [reason]);
});

Deno.test("offAbort() removes the hook before the signal fires", () => {
  const ac = new AbortController();
  let ran = 0;
  const hook = () => ran++;
  onAbort(ac.signal, hook);
  offAbort(ac.signal, hook);
  ac.abort();
  assertEquals(ran, 0);
});

Deno.test("onAbort() hooks run before the abort event and follow linked controllers", () => {
  const parent = new AbortController();
  const child = new AbortController();
  const order: string[] = [];
  onAbort(parent.signal, () => {
    order.push("hook");
    child.abort(parent.signal.reason);
  });
  parent.signal.addEventListener("abort", () => order.push("event"));
  parent.abort(new Error("x"));
  assertEquals(order, ["hook", "event"]);
  assert(child.signal.aborted);
});

Deno.test("fastAbortHooks() is on for the pinned Deno (the internal path passed its self-test)", () => {
  assert(fastAbortHooks(), `Deno ${Deno.version.deno}: abort hooks fell back to listeners`);
});
