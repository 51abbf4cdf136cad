import { assert, assertAlmostEquals, assertEquals } from "../../tests/support/assert.ts";
import { rates, readSample, renderTop } from "./top_view.ts";
import { style } from "./_term.ts";

function tree(requests: number, success: number, failures: number) {
  return {
    rt: {
      out: {
        service: {
          "svc/a": {
            requests: { counter: requests },
            success: { counter: success },
            failures: { counter: failures },
            pending: { gauge: 2 },
            request_latency_ms: { "stat.p50": 3.5, "stat.p99": 40 },
          },
        },
        client: {
          "#/io.l5d.fs/a": {
            requests: { counter: requests },
            success: { counter: success },
            service: { "svc/a": { requests: { counter: 1 } } },
            endpoint: { "127.0.0.1:1": { requests: { counter: 1 } } },
          },
        },
        server: { "127.0.0.1": { "4140": { requests: { counter: 99 } } } },
      },
    },
    jvm: { uptime: { gauge: 1 } },
  };
}

Deno.test("readSample() reads services and clients from a metrics.json tree", () => {
  const s = readSample(tree(10, 9, 1), 5);
  assertEquals(s.atMs, 5);
  assertEquals(s.rows.map((r) => [r.kind, r.name, r.requests]), [
    ["service", "/svc/a", 10],
    ["client", "/#/io.l5d.fs/a", 10],
  ]);
  assertEquals(s.rows[0]!.p99, 40);
  assertEquals(s.rows[0]!.pending, 2);
  assertEquals(s.rows[1]!.p50, undefined);
});

Deno.test("readSample() ignores bodies of unexpected shape", () => {
  assertEquals(readSample(null, 0).rows, []);
  assertEquals(readSample({ rt: 3 }, 0).rows, []);
  assertEquals(readSample({ rt: { out: { service: { x: { requests: "no" } } } } }, 0).rows, []);
});

Deno.test("rates() turns counter deltas into RPS and success rate over the interval", () => {
  const a = readSample(tree(10, 10, 0), 1000);
  const b = readSample(tree(30, 28, 2), 3000);
  const [svc, client] = rates(a, b);
  assertAlmostEquals(svc!.rps, 10, 1e-9);
  assertAlmostEquals(svc!.successRate!, 0.9, 1e-9);
  assertEquals(client!.kind, "client");
  assertEquals(rates(b, b)[0]!.successRate, undefined, "no traffic, no rate");
});

Deno.test("rates() counts from zero after a counter reset", () => {
  const a = readSample(tree(100, 100, 0), 0);
  const b = readSample(tree(5, 5, 0), 1000);
  assertEquals(rates(a, b)[0]!.rps, 5);
});

Deno.test("renderTop() lays out a table and explains an empty one", () => {
  const rows = rates(readSample(tree(0, 0, 0), 0), readSample(tree(20, 19, 1), 1000));
  const lines = renderTop(rows, { title: "top", style: style(false) });
  assertEquals(lines[0], "top");
  assert(lines[1]!.startsWith("ROUTER  KIND     NAME"), lines[1]);
  assert(
    /^out\s+service\s+\/svc\/a\s+20\.0\s+95\.00%\s+3\.5\s+40\.0\s+2\s+20$/.test(lines[2]!),
    lines[2],
  );
  assertEquals(
    renderTop([], { title: "t", style: style(false) })[1]!.startsWith("no traffic"),
    true,
  );
});
