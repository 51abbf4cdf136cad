// In-process cases of Linkerd's namer/marathon/src/test/.../AppIdNamerTest.scala and
// MarathonTest.scala (jittered TTLs), with a stub API and a fake clock.
import { assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import type { Address } from "../types.ts";
import type { Lookup } from "../_activity.ts";
import type { Var } from "../../router/core/var.ts";
import type { MarathonApi } from "./api.ts";
import { createMarathonNamer } from "./namer.ts";

interface Stub extends MarathonApi {
  ids: Set<string> | Error;
  addrs: Address[] | Error;
  calls: string[];
}

function stub(ids: Set<string> | Error, addrs: Address[] | Error): Stub {
  const s: Stub = {
    ids,
    addrs,
    calls: [],
    appUri: (app) => `/v2/apps${app}?embed=app.tasks`,
    appIds() {
      s.calls.push("apps");
      return s.ids instanceof Error ? Promise.reject(s.ids) : Promise.resolve(s.ids);
    },
    appAddresses(app) {
      s.calls.push(app);
      return s.addrs instanceof Error
        ? Promise.reject(s.addrs)
        : Promise.resolve({ addrs: s.addrs, body: {} });
    },
    close() {},
  };
  return s;
}

const A: Address = { host: "10.0.0.1", port: 8080, weight: 1 };
const flush = () => new Promise((r) => setTimeout(r, 0));

/** Read the Var (a read starts the app's poll) and let the stub's answers land, a few times. */
async function settle(v: Var<Lookup>): Promise<Lookup> {
  for (let i = 0; i < 4; i++) {
    v.get();
    await flush();
  }
  return v.get();
}

function shape(l: Lookup): string {
  if (l.state !== "ok") return l.state;
  const t = l.value;
  if (t.type !== "leaf" || t.value.kind !== "bound") return t.type;
  const b = t.value.bound;
  const addr = b.addr.get();
  return `leaf ${b.idStr} residual /${b.residual.join("/")} ${
    addr.type === "bound" ? addr.addrs.map((x) => `${x.host}:${x.port}`).join(",") : addr.type
  }`;
}

Deno.test("createMarathonNamer() binds the shortest lowercased app-id prefix; others are Neg", async () => {
  const clock = new FakeClock();
  const namer = createMarathonNamer({
    api: stub(new Set(["/service/name", "/service"]), [A]),
    clock,
  });
  try {
    const v = namer.lookup(["Service", "Name", "residual"]);
    assertEquals(v.get().state, "pending");
    assertEquals(shape(await settle(v)), "leaf /service residual /Name/residual 10.0.0.1:8080");
    assertEquals(shape(await settle(namer.lookup(["nosuchservice", "x"]))), "neg");
    assertEquals(shape(namer.lookup([]).get()), "neg");
  } finally {
    await namer.close();
  }
});

Deno.test("createMarathonNamer() fails before the first answer, recovers, then keeps the last state through failures", async () => {
  const clock = new FakeClock();
  const api = stub(new Error("connection refused"), [A]);
  const namer = createMarathonNamer({ api, clock, ttlMs: 100, jitterMs: 0 });
  try {
    const v = namer.lookup(["web", "x"]);
    assertEquals(await settle(v), { state: "failed", error: "marathon: connection refused" });
    api.ids = new Set(["/web"]);
    await clock.tick(100);
    assertEquals(shape(await settle(v)), "leaf /web residual /x 10.0.0.1:8080");
    // Both polls fail from now on: nothing changes.
    api.ids = new Error("down");
    api.addrs = new Error("down");
    await clock.tick(300);
    assertEquals(shape(await settle(v)), "leaf /web residual /x 10.0.0.1:8080");
    // An app whose tasks are gone is Neg (Addr.Neg), and stays Neg through a failure.
    api.ids = new Set(["/web"]);
    api.addrs = [];
    await clock.tick(100);
    assertEquals(shape(await settle(v)), "neg");
    api.addrs = new Error("down");
    await clock.tick(200);
    assertEquals(shape(await settle(v)), "neg");
  } finally {
    await namer.close();
  }
});

Deno.test("createMarathonNamer() polls every ttlMs ± jitterMs, a new draw for each sleep", async () => {
  const clock = new FakeClock();
  const draws = [0, 0.5, 0.999];
  let i = 0;
  const api = stub(new Set(["/web"]), [A]);
  const namer = createMarathonNamer({
    api,
    clock,
    ttlMs: 300,
    jitterMs: 100,
    random: () => draws[i++ % draws.length] as number,
  });
  try {
    await settle(namer.lookup(["web"]));
    const first = api.calls.length;
    assertEquals(api.calls, ["apps", "/web"]);
    // Draws 0 → 200 ms for the app list, 0.5 → 300 ms for the app: nothing before 200 ms.
    await clock.tick(199);
    assertEquals(api.calls.length, first);
    await clock.tick(1);
    await flush();
    assertEquals(api.calls.at(-1), "apps");
    await clock.tick(100);
    await flush();
    assertEquals(api.calls.at(-1), "/web");
  } finally {
    await namer.close();
  }
});
