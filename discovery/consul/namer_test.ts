import { assert, assertEquals } from "../../tests/support/assert.ts";
import type { Lookup } from "../_activity.ts";
import type { Bound } from "../types.ts";
import { fakeClock, waitFor } from "../_testing.ts";
import type { AgentConfig, ConsulApi, Indexed, ServiceNode, ServiceQuery } from "./api.ts";
import { createConsulNamer, nodeAddresses } from "./namer.ts";

/** A scripted API: each service query takes the next answer (or waits while none is queued). */
function scriptedApi(agent: AgentConfig = { Datacenter: "dc7", Domain: "acme.co." }) {
  const queries: { name: string; query: ServiceQuery }[] = [];
  const queue: (Indexed<ServiceNode[]> | Error)[] = [];
  let wake: (() => void) | undefined;
  const api: ConsulApi = {
    baseUrl: "http://stub",
    describe: (name, q) => `GET ${name} ${JSON.stringify(q)}`,
    async serviceNodes(name, query, signal) {
      queries.push({ name, query });
      while (queue.length === 0) {
        if (signal.aborted) throw new Error("aborted");
        await new Promise<void>((r) => {
          wake = r;
          signal.addEventListener("abort", () => r(), { once: true });
        });
      }
      const next = queue.shift()!;
      if (next instanceof Error) throw next;
      return next;
    },
    agentConfig: () => Promise.resolve(agent),
    describeKv: (key) => `GET ${key}`,
    kvGet: () => Promise.reject(new Error("the namer reads no KV key")),
    close() {},
  };
  return {
    api,
    queries,
    answer(a: Indexed<ServiceNode[]> | Error) {
      queue.push(a);
      wake?.();
    },
  };
}

/** Poll `cond` every few ms, at most 3 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 3000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function bound(l: Lookup): Bound | undefined {
  return l.state === "ok" && l.value.type === "leaf" && l.value.value.kind === "bound"
    ? l.value.value.bound
    : undefined;
}

Deno.test("nodeAddresses() prefers ServiceAddress, else the node's, and weighs by the heaviest tag", () => {
  const nodes: ServiceNode[] = [
    { Address: "10.0.0.1", ServiceAddress: "10.1.0.1", ServicePort: 80, ServiceTags: ["a", "b"] },
    { Address: "10.0.0.2", ServiceAddress: "", ServicePort: 81, ServiceTags: ["c"] },
    { Address: "10.0.0.3", ServicePort: null }, // no port: skipped
    { Address: "", ServiceAddress: "", ServicePort: 82 }, // no address: skipped
  ];
  const weights = new Map([["a", 0.1], ["b", 5]]);
  assertEquals(nodeAddresses(nodes, { weights }), [
    { host: "10.1.0.1", port: 80, weight: 5 },
    { host: "10.0.0.2", port: 81, weight: 1 },
  ]);
  assertEquals(
    nodeAddresses(nodes, { preferServiceAddress: false }).map((a) => a.host),
    ["10.0.0.1", "10.0.0.2"],
  );
});

Deno.test("createConsulNamer() follows the blocking index, keeps the last addresses on errors, Neg when empty", async () => {
  const s = scriptedApi();
  const namer = createConsulNamer({ api: s.api, minBackoffMs: 1, maxBackoffMs: 2 });
  try {
    const v = namer.lookup(["dc1", "Web", "rest"]);
    assertEquals(v.get().state, "pending");
    s.answer({ value: [{ Address: "10.0.0.1", ServicePort: 80 }], index: "5" });
    const b = bound(await waitFor(v, (l) => bound(l) !== undefined))!;
    assertEquals(b.idStr, "/dc1/Web");
    assertEquals(b.residual, ["rest"]);
    assertEquals(s.queries[0], { name: "web", query: { datacenter: "dc1", index: undefined } });
    await until(() => s.queries.length === 2, "query 2");
    assertEquals(s.queries[1]!.query.index, "5");
    // An error after an answer keeps the addresses; the next query has no index.
    s.answer(new Error("connection refused"));
    await until(() => s.queries.length === 3, "query 3");
    assertEquals(s.queries[2]!.query.index, undefined);
    assertEquals(b.addr.get().type, "bound");
    // No instances: Neg.
    s.answer({ value: [], index: "6" });
    await waitFor(v, (l) => l.state === "ok" && l.value.type === "neg");
    // An answer without an index fails the name (SvcAddr.scala NoIndexException).
    s.answer({ value: [{ Address: "10.0.0.1", ServicePort: 80 }], index: undefined });
    const failed = await waitFor(b.addr, (a) => a.type === "failed");
    assert(failed.type === "failed" && failed.error.includes("did not return an index"));
    // Too short a path is Neg at once.
    const short = namer.lookup(["dc1"]).get();
    assert(short.state === "ok" && short.value.type === "neg");
  } finally {
    await namer.close();
  }
});

Deno.test("createConsulNamer() resolves .local through the agent and sets the authority with setHost", async () => {
  const s = scriptedApi();
  const namer = createConsulNamer({ api: s.api, includeTag: true, setHost: true });
  try {
    const v = namer.lookup([".local", "Prod", "web"]);
    v.get();
    await until(() => s.queries.length === 1, "query 1");
    assertEquals(s.queries[0]!.query, { datacenter: "dc7", tag: "prod", index: undefined });
    s.answer({ value: [{ Address: "10.0.0.1", ServicePort: 80 }], index: "1" });
    const b = bound(await waitFor(v, (l) => bound(l) !== undefined))!;
    assertEquals(b.idStr, "/.local/Prod/web");
    const addr = b.addr.get();
    assert(addr.type === "bound");
    assertEquals(addr.addrs[0]!.meta, { authority: "prod.web.service.dc7.acme.co" });
  } finally {
    await namer.close();
  }
});

Deno.test("createConsulNamer() stops a loop nobody used for idleMs and starts it again on use", async () => {
  const s = scriptedApi();
  const clock = fakeClock();
  const namer = createConsulNamer({ api: s.api, idleMs: 1000, clock });
  try {
    const v = namer.lookup(["dc1", "typo"]);
    assertEquals(v.get().state, "pending");
    await until(() => s.queries.length === 1, "query 1");
    s.answer({ value: [], index: "3" });
    await waitFor(v, (l) => l.state === "ok" && l.value.type === "neg");
    await until(() => s.queries.length === 2, "the blocking query");
    clock.advance(1000); // idle: the blocking query is aborted, the name forgotten
    assertEquals(Object.keys(namer.state()), []);
    assertEquals(v.get().state, "pending"); // used again: a new loop, from no index
    await until(() => s.queries.length === 3, "query 3");
    assertEquals(s.queries[2]!.query.index, undefined);
  } finally {
    await namer.close();
  }
});
