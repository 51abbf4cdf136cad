import { assert, assertEquals } from "../../tests/support/assert.ts";
import { eventually } from "../../tests/support/upstream.ts";
import { createK8sApi } from "./api.ts";
import { type FakeK8sApi, startFakeK8sApi } from "./fake_api.ts";
import type { Endpoints } from "./resources.ts";
import { backoffDelay } from "../_timer.ts";
import { startWatch, type WatchOptions } from "./watch.ts";

Deno.test("backoffDelay() is jittered, grows exponentially and is capped", () => {
  assertEquals(backoffDelay(0, {}, () => 0), 0);
  assert(backoffDelay(0, {}, () => 1 - Number.EPSILON) <= 1);
  assertEquals(backoffDelay(3, {}, () => 1 - Number.EPSILON), 8);
  assertEquals(backoffDelay(40, {}, () => 1 - Number.EPSILON), 5000);
  assertEquals(
    backoffDelay(40, { minBackoffMs: 10, maxBackoffMs: 100 }, () => 1 - Number.EPSILON),
    100,
  );
});

interface Seen {
  lists: string[][];
  events: string[];
}

/** A watch of `endpoints` in `default`, recording list contents and events as strings. */
function watchEndpoints(fake: FakeK8sApi, extra: Partial<WatchOptions<Endpoints>> = {}) {
  const api = createK8sApi({ host: fake.hostname, port: fake.port });
  const seen: Seen = { lists: [], events: [] };
  const ips = (e: Endpoints) => e.subsets?.[0]?.addresses?.map((a) => a.ip).join(",") ?? "";
  const w = startWatch<Endpoints>({
    api,
    namespace: "default",
    resource: "endpoints",
    onList: (items) => seen.lists.push(items.map((e) => `${e.metadata?.name}=${ips(e)}`)),
    onEvent: (type, e) => seen.events.push(`${type} ${e.metadata?.name}=${ips(e)}`),
    ...extra,
  });
  return {
    seen,
    w,
    async close() {
      await w.close();
      api.close();
    },
  };
}

const requests = (fake: FakeK8sApi, kind: "list" | "watch") =>
  fake.requests.filter((r) => r.includes("watch=true") === (kind === "watch"));

Deno.test("startWatch() lists, then applies ADDED, MODIFIED and DELETED events", async () => {
  const fake = startFakeK8sApi();
  fake.setEndpoints("default", "a", [{ ip: "10.0.0.1" }], [{ name: "http", port: 80 }]);
  const t = watchEndpoints(fake);
  try {
    assert(await eventually(() => t.seen.lists.length === 1 && fake.watchCount() === 1, 3000));
    assertEquals(t.seen.lists[0], ["a=10.0.0.1"]);
    fake.setEndpoints("default", "a", [{ ip: "10.0.0.2" }], [{ name: "http", port: 80 }]);
    fake.setEndpoints("default", "b", [{ ip: "10.0.0.3" }], [{ name: "http", port: 80 }]);
    fake.remove("endpoints", "default", "a");
    assert(await eventually(() => t.seen.events.length === 3, 3000), JSON.stringify(t.seen));
    assertEquals(t.seen.events, ["MODIFIED a=10.0.0.2", "ADDED b=10.0.0.3", "DELETED a=10.0.0.2"]);
    assertEquals(t.w.status().resourceVersion, String(fake.version()));
    assert(t.w.status().streaming);
  } finally {
    await t.close();
    await fake.close();
  }
});

Deno.test("startWatch() resumes from the last resourceVersion when a stream ends, without relisting", async () => {
  const fake = startFakeK8sApi();
  fake.setEndpoints("default", "a", [{ ip: "10.0.0.1" }], [{ name: "http", port: 80 }]);
  const t = watchEndpoints(fake);
  try {
    assert(await eventually(() => fake.watchCount() === 1, 3000));
    const rv = String(fake.version());
    fake.pauseWatches(); // the reconnect waits, so the next change is missed by the stream
    fake.endWatches();
    fake.setEndpoints("default", "a", [{ ip: "10.0.0.9" }], [{ name: "http", port: 80 }]);
    fake.resumeWatches();
    assert(await eventually(() => t.seen.events.length === 1, 3000), JSON.stringify(t.seen));
    assertEquals(t.seen.events, ["MODIFIED a=10.0.0.9"], "replayed from the history");
    assertEquals(requests(fake, "list").length, 1);
    assert(
      requests(fake, "watch")[1]?.includes(`resourceVersion=${rv}&`),
      fake.requests.join("\n"),
    );
  } finally {
    await t.close();
    await fake.close();
  }
});

for (const goneAs of ["status", "event"] as const) {
  Deno.test(`startWatch() lists again after 410 Gone (as ${goneAs === "status" ? "HTTP status" : "an ERROR event"})`, async () => {
    const fake = startFakeK8sApi({ goneAs });
    fake.setEndpoints("default", "a", [{ ip: "10.0.0.1" }], [{ name: "http", port: 80 }]);
    const t = watchEndpoints(fake);
    try {
      assert(await eventually(() => fake.watchCount() === 1, 3000));
      fake.pauseWatches();
      fake.endWatches();
      fake.setEndpoints("default", "a", [{ ip: "10.0.0.7" }], [{ name: "http", port: 80 }]);
      fake.compact(); // the missed event is gone from the history
      fake.resumeWatches();
      assert(await eventually(() => t.seen.lists.length === 2 && fake.watchCount() === 1, 3000));
      assertEquals(t.seen.lists[1], ["a=10.0.0.7"], "the relist has the current state");
      assertEquals(t.seen.events, []);
      // and the new watch starts from the relist's version and sees later changes
      fake.setEndpoints("default", "a", [{ ip: "10.0.0.8" }], [{ name: "http", port: 80 }]);
      assert(await eventually(() => t.seen.events.length === 1, 3000));
      assertEquals(t.seen.events, ["MODIFIED a=10.0.0.8"]);
    } finally {
      await t.close();
      await fake.close();
    }
  });
}

Deno.test("startWatch() backs off on API errors and recovers", async () => {
  const fake = startFakeK8sApi();
  fake.setEndpoints("default", "a", [{ ip: "10.0.0.1" }], [{ name: "http", port: 80 }]);
  fake.failNext(6, 503);
  const errors: string[] = [];
  const started = performance.now();
  const t = watchEndpoints(fake, {
    minBackoffMs: 20,
    maxBackoffMs: 40,
    onError: (m) => errors.push(m),
  });
  try {
    assert(await eventually(() => t.seen.lists.length === 1 && fake.watchCount() === 1, 5000));
    assertEquals(errors.length, 6);
    assert(errors[0]?.includes("503"), errors[0]);
    assertEquals(fake.requests.length, 8, "6 failed lists, then a list and a watch");
    assert(performance.now() - started < 3000, "bounded backoff");
    assertEquals(t.w.status().failures, 6);
    fake.setEndpoints("default", "a", [{ ip: "10.0.0.2" }], [{ name: "http", port: 80 }]);
    assert(await eventually(() => t.w.status().failures === 0, 3000), "an event resets it");
  } finally {
    await t.close();
    await fake.close();
  }
});

Deno.test("startWatch() retries a refused connection until the API server appears", async () => {
  // a port with nobody listening
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const api = createK8sApi({ host: "127.0.0.1", port });
  const errors: string[] = [];
  const w = startWatch<Endpoints>({
    api,
    namespace: "default",
    resource: "endpoints",
    maxBackoffMs: 20,
    onList: () => {},
    onEvent: () => {},
    onError: (m) => errors.push(m),
  });
  try {
    assert(await eventually(() => errors.length >= 3, 3000), "keeps retrying");
    assert(w.status().lastError !== undefined);
  } finally {
    await w.close();
    api.close();
  }
});

Deno.test("startWatch() gives up on a watch request that gets no response headers", async () => {
  const fake = startFakeK8sApi();
  fake.setEndpoints("default", "a", [{ ip: "10.0.0.1" }], [{ name: "http", port: 80 }]);
  fake.pauseWatches(); // the API accepts the watch request and never answers it
  const api = createK8sApi({ host: fake.hostname, port: fake.port, requestTimeoutMs: 150 });
  const errors: string[] = [];
  const seen: string[] = [];
  const w = startWatch<Endpoints>({
    api,
    namespace: "default",
    resource: "endpoints",
    maxBackoffMs: 20,
    onList: (items) => seen.push(`list ${items.length}`),
    onEvent: (type) => seen.push(type),
    onError: (m) => errors.push(m),
  });
  try {
    assert(await eventually(() => errors.length >= 2, 3000), `retried: ${errors.join("; ")}`);
    assert(w.status().watches >= 2, JSON.stringify(w.status()));
    assertEquals(seen, ["list 1"], "the listed state is kept");
    fake.resumeWatches();
    assert(await eventually(() => w.status().streaming, 3000), "streams once the API answers");
    fake.setEndpoints("default", "a", [{ ip: "10.0.0.2" }], [{ name: "http", port: 80 }]);
    assert(await eventually(() => seen.includes("MODIFIED"), 3000), JSON.stringify(seen));
    await new Promise((r) => setTimeout(r, 300));
    assert(w.status().streaming, "an answered watch is not cut by the header timeout");
  } finally {
    await w.close();
    api.close();
    await fake.close();
  }
});

Deno.test("startWatch() restarts a stream that stays silent past timeoutSeconds", async () => {
  const fake = startFakeK8sApi();
  const t = watchEndpoints(fake, { timeoutSeconds: 0, silenceGraceMs: 150, maxBackoffMs: 10 });
  try {
    assert(
      await eventually(() => requests(fake, "watch").length >= 3, 3000),
      fake.requests.join("\n"),
    );
    assertEquals(requests(fake, "list").length, 1, "a silent stream resumes, it does not relist");
  } finally {
    await t.close();
    await fake.close();
  }
});

Deno.test("startWatch() skips events older than the stream's newest (EndpointsNamerTest 'out of order resource versions ignored')", async () => {
  const ep = (rv: string, ips: string[]) =>
    JSON.stringify({
      type: "MODIFIED",
      object: {
        kind: "Endpoints",
        metadata: { name: "world-v1", namespace: "liza1626", resourceVersion: rv },
        subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: "http", port: 7778 }] }],
      },
    }) + "\n";
  // Linkerd's Rsps1626 ScaleUp1, ScaleUp2, ScaleUp3, then ScaleUp2 and ScaleUp1 again
  const up1 = ep("61492931", ["10.196.5.87"]);
  const up2 = ep("61492933", ["10.196.5.87", "10.196.5.89"]);
  const up3 = ep("61492936", ["10.196.5.87", "10.196.5.88", "10.196.5.89"]);
  const stream = [up1, up2, up3, up2, up1].join("");
  let served = 0; // one stream; later watches stay open and silent
  const held: ReadableStreamDefaultController[] = [];
  const server = Deno.serve({ hostname: "127.0.9.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.searchParams.get("watch") !== "true") {
      return Response.json({ kind: "EndpointsList", metadata: { resourceVersion: "61412986" } });
    }
    if (served++ > 0) return new Response(new ReadableStream({ start: (c) => void held.push(c) }));
    return new Response(stream);
  });
  const api = createK8sApi({ host: "127.0.9.1", port: server.addr.port });
  const seen: number[] = [];
  const w = startWatch<Endpoints>({
    api,
    namespace: "liza1626",
    resource: "endpoints",
    onList: () => {},
    onEvent: (_type, e) => seen.push(e.subsets?.[0]?.addresses?.length ?? 0),
  });
  try {
    assert(await eventually(() => seen.length >= 3, 3000), JSON.stringify(seen));
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(seen, [1, 2, 3], "the lower-numbered versions after the highest are ignored");
  } finally {
    await w.close();
    api.close();
    for (const c of held) c.close();
    await server.shutdown();
  }
});
