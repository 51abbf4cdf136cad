import { assert, assertEquals, assertRejects } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { ConnectFailed, FailedFast, UpstreamError } from "../router/core/errors.ts";
import type { Service } from "../router/core/service.ts";
import { endpointNode } from "./balancer/node.ts";
import { FAIL_FAST_BACKOFFS_MS, FAIL_FAST_STEADY_MS, failFast } from "./fail_fast.ts";
import { req, switchable, testCtx } from "./_testing.ts";

/** An endpoint whose answer the test switches, and a background connect that does the same. */
function setup() {
  const clock = new FakeClock();
  const { ep: answers, call } = switchable();
  const ep = Object.assign(answers, { connectOk: false, connects: 0 });
  const events: string[] = [];
  const node = failFast(endpointNode({ id: "10.0.0.1:80", call }), {
    clock,
    connect: () => {
      ep.connects++;
      return ep.connectOk ? Promise.resolve() : Promise.reject(new Error("refused"));
    },
    onMarkedDead: () => events.push("dead"),
    onMarkedAvailable: () => events.push("available"),
  });
  return { clock, ep, node, events };
}

const send = (node: { call: Service }) => node.call(req(), testCtx(new FakeClock()));

/** The rejection of `fn`, which must be an instance of `cls`. */
async function rejectsWith<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => E,
): Promise<E> {
  const e = await assertRejects(fn);
  assert(e instanceof cls, `${e.name}: ${e.message}`);
  return e;
}

Deno.test("failFast: a refused connection marks the endpoint down at once; requests then fail fast without reaching it", async () => {
  const { ep, node, events } = setup();
  assertEquals((await send(node)).status, 200);
  ep.answer = new ConnectFailed("connect to 10.0.0.1:80 failed: refused");
  await rejectsWith(() => send(node), ConnectFailed);
  assert(node.markedDown);
  assertEquals(node.status(), "busy");
  assertEquals([node.markedDead, events], [1, ["dead"]]);
  ep.answer = 200; // it would answer now, but nothing is sent until a connection is made again
  const calls = ep.calls;
  const e = await rejectsWith(() => send(node), FailedFast);
  assertEquals(ep.calls, calls);
  assertEquals([e.status, e.retryable], [502, true]);
  assert(e.message.startsWith("Endpoint is marked down. For more details see: "));
});

Deno.test("failFast: only connection failures mark it; 5XX answers and errors after sending do not", async () => {
  const { ep, node } = setup();
  ep.answer = 503;
  assertEquals((await send(node)).status, 503);
  ep.answer = new UpstreamError("10.0.0.1:80 closed the connection");
  await rejectsWith(() => send(node), UpstreamError);
  assertEquals([node.markedDown, node.markedDead, node.status()], [false, 0, "open"]);
});

Deno.test("failFast: background connects back off 1, 2, 4, 8, 16, then 32 s (+0-10%); the first that succeeds marks it available", async () => {
  const { clock, ep, node, events } = setup();
  ep.answer = new ConnectFailed("refused");
  await rejectsWith(() => send(node), ConnectFailed);
  const steps = [...FAIL_FAST_BACKOFFS_MS, FAIL_FAST_STEADY_MS, FAIL_FAST_STEADY_MS];
  let at = 0;
  for (let i = 0; i < steps.length; i++) {
    // Advance in 10 ms steps until the next background attempt: it comes after this step's
    // backoff plus at most 10% of it, counted from the previous attempt (or the mark).
    const from = clock.mono();
    while (ep.connects === i && clock.mono() - from < 40_000) await clock.tick(10);
    const waited = clock.mono() - from;
    const base = steps[i]!;
    assert(waited >= base && waited <= base * 1.1 + 10, `step ${i}: ${waited} ms, base ${base}`);
    assertEquals([ep.connects, node.tries], [i + 1, i + 1]);
    at += waited;
  }
  assert(node.unhealthyForMs() >= at);
  assert(node.markedDown);
  ep.connectOk = true;
  await clock.tick(FAIL_FAST_STEADY_MS * 1.1 + 10);
  assertEquals([node.markedDown, node.markedAvailable, node.status()], [false, 1, "open"]);
  assertEquals(events, ["dead", "available"]);
  assertEquals(node.unhealthyForMs(), 0);
  ep.answer = 200;
  assertEquals((await send(node)).status, 200);
  assertEquals(clock.pending, 0, "no background task left");
});

Deno.test("failFast: a request sent before the mark that then succeeds marks it available; close() cancels the background task", async () => {
  const clock = new FakeClock();
  const pending: ((r: Response | Error) => void)[] = [];
  const call: Service = () =>
    new Promise((resolve, reject) => {
      pending.push((r) => r instanceof Error ? reject(r) : resolve(r));
    });
  const node = failFast(endpointNode({ id: "10.0.0.1:80", call }), {
    clock,
    connect: () => Promise.reject(new Error("refused")),
  });
  const early = send(node); // dialled on a connection that works
  const refused = send(node); // a new connection that is refused
  pending[1]!(new ConnectFailed("refused"));
  await rejectsWith(() => refused, ConnectFailed);
  assertEquals([node.markedDown, clock.pending], [true, 1]);
  pending[0]!(new Response("ok"));
  assertEquals((await early).status, 200);
  assertEquals([node.markedDown, node.markedAvailable, clock.pending], [false, 1, 0]);
  // Down again, then closed: the background task goes with it.
  const again = send(node);
  pending[2]!(new ConnectFailed("refused"));
  await rejectsWith(() => again, ConnectFailed);
  assertEquals([node.markedDead, clock.pending], [2, 1]);
  await node.close();
  assertEquals([node.markedDown, clock.pending], [false, 0]);
});
