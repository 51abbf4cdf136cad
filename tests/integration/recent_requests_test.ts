/**
 * `io.l5d.recentRequests` through the real process, as L1's RecentRequetsTracer and
 * RecentRequestsAdminHandler (telemetry/recent-requests): sampled by trace id, `capacity` traces
 * kept, and the `/requests` table with Linkerd's columns and spellings.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream } from "../support/upstream.ts";

interface Row {
  traceId: string;
  uri: string;
  server: string;
}

async function config(rr: string) {
  const world = startUpstream("world");
  const dir = await fsNamerDir({ world: world.fsLine });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
telemetry: [${rr}]
routers:
- protocol: http
  label: outgoing
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  return { world, sy };
}

Deno.test("recentRequests: a trace is sampled or not as a whole (by trace id, not per request)", async () => {
  const { world, sy } = await config(
    "{kind: io.l5d.recentRequests, sampleRate: 0.5, capacity: 50}",
  );
  try {
    // Linkerd's sampler reads the trace id: the requests of one trace are all kept or all not.
    // With a per-request coin each 10-request trace would be split (odds of passing 2^-18).
    const traces = ["00000000000000000000000000000001", "000000000000000000000000fffffff0"];
    const inTrace = new Map<string, number>();
    for (const t of traces) {
      for (let i = 0; i < 10; i++) {
        await curl([
          "-x",
          `http://${sy.proxy()}`,
          "-H",
          `x-b3-traceid: ${t}`,
          "-H",
          `x-b3-spanid: ${"a".repeat(14)}${String(i).padStart(2, "0")}`,
          `http://world/${t.slice(-2)}/${i}`,
        ]);
      }
    }
    const list: Row[] = JSON.parse((await curl([`${sy.admin}/requests.json`])).body);
    for (const r of list) {
      const t = r.uri.split("/")[1]!; // world/<trace>/<i>
      inTrace.set(t, (inTrace.get(t) ?? 0) + 1);
    }
    for (const [t, n] of inTrace) assertEquals(n, 10, `trace ${t}: ${n} of its 10 requests kept`);
    assertEquals(list.length % 10, 0, JSON.stringify(list.map((r) => r.uri)));
    // Switchyard's decision is the trace id's low 32 bits against the rate (…0001 is in).
    assert(list.length >= 10, "the first trace is kept");
  } finally {
    await sy.stop();
    await world.close();
  }
});

Deno.test("recentRequests: capacity counts traces, each kept with all its requests", async () => {
  const { world, sy } = await config("{kind: io.l5d.recentRequests, sampleRate: 1.0, capacity: 2}");
  try {
    const send = (trace: string, path: string) =>
      curl([
        "-x",
        `http://${sy.proxy()}`,
        "-H",
        `x-b3-traceid: ${trace.repeat(16)}`,
        "-H",
        `x-b3-spanid: ${"1".repeat(16)}`,
        `http://world/${path}`,
      ]);
    for (const p of ["a1", "a2", "a3"]) await send("a", p);
    await send("b", "b1");
    const uris = async () =>
      (JSON.parse((await curl([`${sy.admin}/requests.json`])).body) as Row[]).map((r) => r.uri);
    // Two traces: all four requests (a per-request ring of 2 kept only b1 and a3).
    assertEquals(await uris(), ["world/b1", "world/a3", "world/a2", "world/a1"]);
    // A third trace evicts the least recently recorded one, a.
    await send("c", "c1");
    assertEquals(await uris(), ["world/c1", "world/b1"]);
  } finally {
    await sy.stop();
    await world.close();
  }
});

Deno.test("recentRequests: /requests has Linkerd's Server column and address spellings", async () => {
  const { world, sy } = await config("{kind: io.l5d.recentRequests, sampleRate: 1.0}");
  try {
    const proxy = sy.proxy(); // 127.0.0.1:<port>
    await curl(["-x", `http://${proxy}`, "http://world/x"]);
    const list = JSON.parse((await curl([`${sy.admin}/requests.json`])).body);
    assertEquals(list[0].server, proxy);
    const page = (await curl([`${sy.admin}/requests`])).body;
    const head = [
      "Timestamp",
      "Source",
      "Server",
      "Router",
      "Logical Name",
      "Concrete Name",
      "Destination",
    ].map((h) => `<th>${h}</th>`).join("");
    assertStringIncludes(page.replaceAll("\n", ""), head);
    const row = page.match(/<tr><td>.*<\/tr>/)?.[0] ?? "";
    const cells = [...row.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]!);
    // Twitter's Time.toString, then Java's InetSocketAddress.toString of each address.
    assert(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$/.test(cells[0]!), cells[0]);
    assert(/^\/127\.0\.0\.1:\d+$/.test(cells[1]!), `source ${cells[1]}`);
    assertEquals(cells.slice(2, 4), [`/${proxy}`, "outgoing"]);
    assertStringIncludes(cells[4]!, ">/svc/world</a>");
    assertStringIncludes(cells[5]!, ">/#/io.l5d.fs/world</a>");
    assertEquals(cells[6], `/127.0.0.1:${world.port}`);
  } finally {
    await sy.stop();
    await world.close();
  }
});
