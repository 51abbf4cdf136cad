/**
 * The one case suite every balancer runs (as Hono's `common.case.test.ts`): each
 * `*_test.ts` calls {@link balancerCases} with a factory and its tolerances. Tests only.
 *
 * @module
 */
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
} from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { NoHostsAvailable } from "../../router/core/errors.ts";
import { testCtx } from "../_testing.ts";
import { type Balancer, balancerService } from "./balancer.ts";
import { drive, shares, type SimNode, simNode } from "./_sim.ts";

/** How a balancer is expected to spread traffic. */
export interface CaseOptions {
  /** Largest allowed deviation of a node's share from its fair share (0 = exact). */
  readonly tolerance: number;
  /** Cases to skip, with the reason. */
  readonly skip?: Readonly<Record<string, string>>;
}

/**
 * Register the shared cases.
 *
 * @param name the kind, used as the test-name prefix
 * @param make a fresh balancer on a clock
 */
export function balancerCases(
  name: string,
  make: (clock: FakeClock) => Balancer,
  opts: CaseOptions,
): void {
  const test = (id: string, title: string, fn: () => Promise<void> | void) => {
    const reason = opts.skip?.[id];
    Deno.test({
      name: `${name}: ${title}${reason ? ` (skipped: ${reason})` : ""}`,
      ignore: !!reason,
      fn,
    });
  };
  const setup = (spec: { latencyMs?: number; weight?: number; state?: "open" | "busy" }[]) => {
    const clock = new FakeClock({ seed: 42 });
    const balancer = make(clock);
    const nodes = spec.map((s, i) => simNode(clock, `10.0.0.${i + 1}:80`, s));
    balancer.update(nodes);
    return { clock, balancer, nodes, svc: balancerService(balancer) };
  };
  const near = (nodes: readonly SimNode[], want: readonly number[], tol = opts.tolerance) => {
    const got = shares(nodes);
    got.forEach((g, i) => assertAlmostEquals(g, want[i]!, tol + 1e-9));
  };

  test(
    "empty",
    "balancerService() rejects with NoHostsAvailable when there are no nodes",
    async () => {
      const clock = new FakeClock();
      const balancer = make(clock);
      const ctx = testCtx(clock);
      const err = await assertRejects(() =>
        balancerService(balancer)(new Request("http://a/"), ctx)
      );
      assert(err instanceof NoHostsAvailable);
      assertEquals(err.message, "No hosts are available for /svc/hello");
      assertEquals([balancer.size, balancer.available], [0, 0]);
    },
  );

  test("single", "sends everything to a single node and records ctx.endpoint", async () => {
    const { clock, svc, nodes } = setup([{}]);
    const ctx = testCtx(clock);
    await svc(new Request("http://a/"), ctx);
    assertEquals([nodes[0]!.calls, ctx.endpoint], [1, "10.0.0.1:80"]);
  });

  test("sequential", "spreads sequential traffic evenly", async () => {
    const { clock, svc, nodes } = setup([{ latencyMs: 1 }, { latencyMs: 1 }, { latencyMs: 1 }]);
    await drive(clock, svc, { requests: 1500, intervalMs: 10 });
    near(nodes, [1 / 3, 1 / 3, 1 / 3]);
  });

  test("concurrent", "spreads concurrent traffic evenly", async () => {
    const { clock, svc, nodes } = setup([{ latencyMs: 50 }, { latencyMs: 50 }, { latencyMs: 50 }]);
    await drive(clock, svc, { requests: 1500, intervalMs: 5 });
    near(nodes, [1 / 3, 1 / 3, 1 / 3]);
  });

  test("weights", "honours weights with sequential and concurrent traffic", async () => {
    for (const [latencyMs, intervalMs] of [[1, 10], [50, 5]] as const) {
      const { clock, svc, nodes } = setup([
        { latencyMs, weight: 1 },
        { latencyMs, weight: 1 },
        { latencyMs, weight: 2 },
      ]);
      await drive(clock, svc, { requests: 2000, intervalMs });
      near(nodes, [0.25, 0.25, 0.5], Math.max(opts.tolerance, 0.01));
    }
  });

  test("avoid", "never picks a node that is not open while another is", async () => {
    const { clock, svc, nodes, balancer } = setup([{}, { state: "busy" }, {}]);
    await drive(clock, svc, { requests: 300, intervalMs: 1 });
    assertEquals(nodes[1]!.calls, 0);
    assertEquals([balancer.available, balancer.panicCount], [2, 0]);
    near([nodes[0]!, nodes[2]!], [0.5, 0.5], Math.max(opts.tolerance, 0.05));
  });

  test(
    "panic",
    "panic mode: balances over every node when none is open, and counts it",
    async () => {
      const { clock, svc, nodes, balancer } = setup([
        { state: "busy", latencyMs: 1 },
        { state: "busy", latencyMs: 1 },
        { state: "busy", latencyMs: 1 },
      ]);
      await drive(clock, svc, { requests: 900, intervalMs: 10 });
      assertEquals([balancer.available, balancer.panicCount], [0, 900]);
      near(nodes, [1 / 3, 1 / 3, 1 / 3], Math.max(opts.tolerance, 0.05));
    },
  );

  test("recover", "leaves panic mode as soon as a node is open again", async () => {
    const { clock, svc, nodes, balancer } = setup([{ state: "busy" }, { state: "busy" }]);
    await drive(clock, svc, { requests: 10, intervalMs: 1 });
    assertEquals(balancer.panicCount, 10);
    nodes[1]!.state = "open";
    const before = nodes[0]!.calls;
    await drive(clock, svc, { requests: 50, intervalMs: 1 });
    assertEquals([balancer.panicCount, nodes[0]!.calls], [10, before]);
  });

  test("update", "update() drops removed nodes and starts using new ones", async () => {
    const { clock, svc, nodes, balancer } = setup([{}, {}, {}]);
    const added = simNode(clock, "10.0.0.9:80");
    balancer.update([nodes[1]!, nodes[2]!, added]);
    await drive(clock, svc, { requests: 300, intervalMs: 1 });
    assertEquals(nodes[0]!.calls, 0);
    assert(added.calls > 0, "the new node gets traffic");
    assertEquals(balancer.size, 3);
    assertEquals(balancer.nodes.map((n) => n.id).sort(), [
      "10.0.0.2:80",
      "10.0.0.3:80",
      "10.0.0.9:80",
    ]);
  });
}
