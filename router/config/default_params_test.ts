import { assert, assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { accrualPolicyFactory } from "../../resilience/accrual_policy.ts";
import { defaultClientParams, defaultServiceParams } from "./default_params.ts";
import { clientParamsSchema } from "./client_schema.ts";
import { serviceParamsSchema } from "./service_schema.ts";

Deno.test("defaultServiceParams() equals the schema's defaults", () => {
  assertEquals(defaultServiceParams(), serviceParamsSchema.parse({}));
});

Deno.test("defaultClientParams() equals the schema's defaults", () => {
  assertEquals(defaultClientParams(), clientParamsSchema.parse({}));
});

Deno.test("defaultClientParams() returns a fresh object each time", () => {
  const a = defaultClientParams();
  (a.requeueBudget as { ttlSecs: number }).ttlSecs = 99;
  assertEquals(defaultClientParams().requeueBudget.ttlSecs, 10);
});

Deno.test("the default failure accrual backs off exponentially, equalJittered(5 s, 300 s)", () => {
  // Linkerd ConsecutiveFailuresTest "default (exponential) backoff" and
  // FailureAccrualConfig.defaultBackoff: with no `backoff` block the dead periods are Finagle's
  // equalJittered(5 s, 300 s) — 5 s, then [5 s, 10 s), [10 s, 20 s), ... (Finagle 21.4's
  // Backoff.EqualJittered shifts by attempt - 1) — not the decorrelated jitter a `jittered` block
  // means.
  const configs = [
    clientParamsSchema.parse({}).failureAccrual,
    clientParamsSchema.parse({
      failureAccrual: { kind: "io.l5d.consecutiveFailures", failures: 5 },
    }).failureAccrual,
    defaultClientParams().failureAccrual,
  ];
  for (const config of configs) {
    assertEquals("backoff" in config ? config.backoff : undefined, undefined);
    const clock = new FakeClock();
    const policy = accrualPolicyFactory(config, clock)!();
    const delays = Array.from({ length: 20 }, () => policy.markDeadOnFailure());
    assertEquals(delays.slice(0, 4), [undefined, undefined, undefined, undefined]);
    const ms = delays.slice(4) as number[];
    assertEquals(ms[0], 5000);
    for (let i = 1; i < ms.length; i++) assert(ms[i]! >= ms[i - 1]!, `sorted: ${ms}`);
    assert(ms[1]! >= 5_000 && ms[1]! < 10_000, `second ${ms[1]}`);
    assert(ms[2]! >= 10_000 && ms[2]! < 20_000, `third ${ms[2]}`);
    assertEquals(ms[ms.length - 1], 300_000);
  }
});
