/**
 * Folder-private test helpers: simulated endpoints whose latency runs on a fake clock, and a
 * driver that sends requests at a fixed interval. Tests only.
 *
 * @module
 */
import type { FakeClock } from "../../tests/support/fake_clock.ts";
import type { Node, Service, Status } from "../../router/core/service.ts";
import { testCtx } from "../_testing.ts";

/** A simulated endpoint. */
export interface SimNode extends Node {
  /** Calls received. */
  calls: number;
  /** Calls in flight. */
  outstanding: number;
  /** Response time, ms (0 = at once). */
  latencyMs: number;
  /** What `status()` reports. */
  state: Status;
}

/** Make a simulated endpoint. */
export function simNode(
  clock: FakeClock,
  id: string,
  opts: { latencyMs?: number; weight?: number; state?: Status } = {},
): SimNode {
  const node: SimNode = {
    id,
    weight: opts.weight ?? 1,
    calls: 0,
    outstanding: 0,
    latencyMs: opts.latencyMs ?? 0,
    state: opts.state ?? "open",
    call: () => {
      node.calls++;
      node.outstanding++;
      return new Promise<Response>((resolve) => {
        const done = () => {
          node.outstanding--;
          resolve(new Response(id));
        };
        if (node.latencyMs > 0) clock.setTimer(node.latencyMs, done);
        else done();
      });
    },
    status: () => node.state,
    load: () => node.outstanding,
    close: () => Promise.resolve(),
  };
  return node;
}

/** Send `requests` requests, one every `intervalMs`, then wait for all of them. */
export async function drive(
  clock: FakeClock,
  svc: Service,
  opts: { requests: number; intervalMs: number },
): Promise<void> {
  let open = 0;
  for (let i = 0; i < opts.requests; i++) {
    open++;
    svc(new Request("http://hello.svc/"), testCtx(clock)).finally(() => open--);
    await clock.tick(opts.intervalMs);
  }
  while (open > 0) await clock.tick(100);
}

/** Each node's share of all calls. */
export function shares(nodes: readonly SimNode[]): number[] {
  const total = nodes.reduce((s, n) => s + n.calls, 0);
  return nodes.map((n) => (total === 0 ? 0 : n.calls / total));
}
