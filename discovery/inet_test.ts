import { assert, assertEquals } from "../tests/support/assert.ts";
import { address, boundAddr } from "./addr.ts";
import { createInetNamer, type HostResolver, parseInetPath } from "./inet.ts";
import type { Addr, Bound } from "./types.ts";
import { fakeClock, waitFor } from "./_testing.ts";
import type { Var } from "../router/core/var.ts";
import type { Lookup } from "./_activity.ts";

function boundOf(v: Var<Lookup>): Bound {
  const a = v.get();
  if (a.state !== "ok" || a.value.type !== "leaf" || a.value.value.kind !== "bound") {
    throw new Error(`not a bound leaf: ${JSON.stringify(a)}`);
  }
  return a.value.value.bound;
}

/** A resolver driven by the test: answers from `table`, records calls. */
function scripted(table: Map<string, () => readonly string[]>) {
  const calls: string[] = [];
  const resolve: HostResolver = (host) => {
    calls.push(host);
    const f = table.get(host);
    if (!f) return Promise.reject(new Deno.errors.NotFound(`no ${host}`));
    try {
      return Promise.resolve(f());
    } catch (e: unknown) {
      return Promise.reject(e);
    }
  };
  return { calls, resolve };
}

Deno.test("createInetNamer() binds an IP literal at once, id and residual split", async () => {
  const inet = createInetNamer();
  const b = boundOf(inet.lookup(["127.1", "8080", "a", "b"]));
  assertEquals(b.id, ["127.1", "8080"]);
  assertEquals(b.residual, ["a", "b"]);
  assertEquals(b.addr.get(), boundAddr([address("127.0.0.1", 8080)]));
  assertEquals(boundOf(inet.lookup(["::1", "80"])).addr.get(), boundAddr([address("::1", 80)]));
  await inet.close();
});

Deno.test("createInetNamer() binds localhost to 127.0.0.1 without DNS", async () => {
  const { calls, resolve } = scripted(new Map());
  const inet = createInetNamer({ resolve });
  assertEquals(
    boundOf(inet.lookup(["localhost", "9990"])).addr.get(),
    boundAddr([address("127.0.0.1", 9990)]),
  );
  assertEquals(calls, []);
  await inet.close();
});

Deno.test("createInetNamer() binds /$/inet/<port> to the wildcard address", async () => {
  const inet = createInetNamer();
  const b = boundOf(inet.lookup(["4140", "rest"]));
  assertEquals(b.id, ["4140"]);
  assertEquals(b.residual, ["rest"]);
  assertEquals(b.addr.get(), boundAddr([address("0.0.0.0", 4140)]));
  await inet.close();
});

Deno.test("createInetNamer() fails malformed paths and ports", async () => {
  const inet = createInetNamer();
  for (const p of [[], ["host"], ["host", "http"], ["host", "0"], ["host", "70000"]]) {
    assertEquals(inet.lookup(p).get().state, "failed", JSON.stringify(p));
  }
  assertEquals(parseInetPath(["h", "+80"]), { host: "h", port: 80, consumed: 2 });
  await inet.close();
});

Deno.test("createInetNamer() resolves a host name: pending, then bound, re-resolved", async () => {
  let ips: readonly string[] = ["10.0.0.1", "10.0.0.2"];
  const { calls, resolve } = scripted(new Map([["web.example", () => ips]]));
  const clock = fakeClock();
  const inet = createInetNamer({ resolve, clock, refreshMs: 5000 });
  const v = inet.lookup(["web.example", "80"]);
  assert(inet.lookup(["web.example", "80"]) === v, "same path, same Var");
  const addr = boundOf(v).addr;
  assertEquals(addr.get(), { type: "pending" });
  await waitFor(addr, (a) => a.type === "bound", 1000);
  assertEquals(addr.get(), boundAddr([address("10.0.0.1", 80), address("10.0.0.2", 80)]));

  const seen: Addr[] = [];
  addr.subscribe((a) => seen.push(a));
  ips = ["10.0.0.3"];
  clock.advance(4999);
  assertEquals(calls.length, 1, `pending=${clock.pending()}`);
  clock.advance(1);
  await waitFor(addr, (a) => a.type === "bound" && a.addrs.length === 1, 1000);
  assertEquals(calls.length, 2);
  assertEquals(seen, [boundAddr([address("10.0.0.3", 80)])]);
  await inet.close();
  assertEquals(clock.pending(), 0);
});

Deno.test("createInetNamer() is neg on NXDOMAIN and failed on other errors", async () => {
  const { resolve } = scripted(
    new Map([["broken.example", () => {
      throw new Error("SERVFAIL");
    }]]),
  );
  const inet = createInetNamer({ resolve, clock: fakeClock() });
  const neg = boundOf(inet.lookup(["missing.example", "80"])).addr;
  await waitFor(neg, (a) => a.type !== "pending", 1000);
  assertEquals(neg.get(), { type: "neg" });
  const bad = boundOf(inet.lookup(["broken.example", "80"])).addr;
  const a = await waitFor(bad, (a) => a.type !== "pending", 1000);
  assert(a.type === "failed" && a.error.includes("SERVFAIL"));
  await inet.close();
});

Deno.test("createInetNamer() keeps the last good set over a transient failure", async () => {
  let fail = false;
  const { resolve } = scripted(
    new Map([["flaky.example", () => {
      if (fail) throw new Error("timeout");
      return ["10.0.0.1"];
    }]]),
  );
  const clock = fakeClock();
  const inet = createInetNamer({ resolve, clock, refreshMs: 100 });
  const addr = boundOf(inet.lookup(["flaky.example", "80"])).addr;
  await waitFor(addr, (a) => a.type === "bound", 1000);
  fail = true;
  clock.advance(100);
  await new Promise((r) => setTimeout(r, 0));
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(addr.get(), boundAddr([address("10.0.0.1", 80)]));
  await inet.close();
});

Deno.test("createInetNamer() close() aborts lookups in flight", async () => {
  let aborted = false;
  const inet = createInetNamer({
    clock: fakeClock(),
    resolve: (_host, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(signal.reason);
        });
      }),
  });
  const addr = boundOf(inet.lookup(["slow.example", "80"])).addr;
  await inet.close();
  assert(aborted);
  assertEquals(addr.get(), { type: "pending" });
});

Deno.test("createInetNamer() resolves real names through Deno.resolveDns", async () => {
  const inet = createInetNamer();
  const addr = boundOf(inet.lookup(["name.invalid", "80"])).addr;
  const a = await waitFor(addr, (a) => a.type !== "pending", 5000);
  assert(a.type === "neg" || a.type === "failed", JSON.stringify(a));
  await inet.close();
});
