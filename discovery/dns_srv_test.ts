import { assert, assertEquals } from "../tests/support/assert.ts";
import type { Addr, Bound } from "./types.ts";
import type { Lookup } from "./_activity.ts";
import { waitFor } from "./_testing.ts";
import { createDnsSrvNamer, resolveSrv } from "./dns_srv.ts";

interface Srv {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

interface Zone {
  srv: Map<string, Srv[]>;
  a: Map<string, string[]>;
}

/** The bits of `node:dgram` used here (the repo has no @types/node, so it is imported untyped). */
interface UdpSocket {
  on(
    event: "message",
    fn: (msg: Uint8Array, rinfo: { address: string; port: number }) => void,
  ): void;
  bind(port: number, host: string, cb: () => void): void;
  send(msg: Uint8Array, port: number, host: string): void;
  address(): { port: number };
  close(cb: () => void): void;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u16(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(b.buffer).setUint16(i * 2, v));
  return b;
}

/** A tiny authoritative DNS server on loopback UDP answering SRV and A queries from `zone`. */
async function startFakeDns(
  zone: Zone,
): Promise<{ port: number; queries: string[]; close(): Promise<void> }> {
  const specifier: string = "node:dgram";
  const dgram = (await import(specifier)).default as {
    createSocket(type: "udp4"): UdpSocket;
  };
  const sock = dgram.createSocket("udp4");
  const queries: string[] = [];
  const norm = (n: string) => n.toLowerCase().replace(/\.$/, "");
  const encodeName = (name: string) =>
    concat([
      ...norm(name).split(".").filter(Boolean).map((p) =>
        concat([new Uint8Array([p.length]), enc.encode(p)])
      ),
      new Uint8Array([0]),
    ]);
  sock.on("message", (msg, rinfo) => {
    const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    let off = 12;
    const labels: string[] = [];
    while (msg[off] !== 0) {
      const len = msg[off] as number;
      labels.push(dec.decode(msg.subarray(off + 1, off + 1 + len)));
      off += len + 1;
    }
    off += 1;
    const qtype = view.getUint16(off);
    const question = msg.subarray(12, off + 4);
    const name = norm(labels.join("."));
    const typeName = ({ 1: "A", 28: "AAAA", 33: "SRV" } as Record<number, string>)[qtype];
    queries.push(`${typeName ?? qtype} ${name}`);
    const answers: Uint8Array[] = [];
    const known = zone.srv.has(name) || zone.a.has(name);
    const rr = (type: number, rdata: Uint8Array) => {
      // name = pointer to the question, type, class IN, TTL 5 s, rdlength
      answers.push(concat([u16(0xc00c, type, 1, 0, 5, rdata.length), rdata]));
    };
    if (qtype === 33) {
      for (const s of zone.srv.get(name) ?? []) {
        rr(33, concat([u16(s.priority, s.weight, s.port), encodeName(s.target)]));
      }
    } else if (qtype === 1) {
      for (const ip of zone.a.get(name) ?? []) rr(1, new Uint8Array(ip.split(".").map(Number)));
    }
    const rcode = known ? 0 : 3; // NOERROR or NXDOMAIN
    const header = concat([
      msg.subarray(0, 2), // id
      u16(0x8180 | 0x0400 | rcode, 1, answers.length, 0, 0), // QR AA RD RA; counts
    ]);
    sock.send(concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", () => resolve()));
  return {
    port: sock.address().port,
    queries,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}

function boundOf(a: Lookup): Bound {
  if (a.state === "ok" && a.value.type === "leaf" && a.value.value.kind === "bound") {
    return a.value.value.bound;
  }
  throw new Error(`not a bound leaf: ${JSON.stringify(a)}`);
}

const hosts = (a: Addr) =>
  a.type === "bound" ? a.addrs.map((x) => `${x.host}:${x.port}`).sort() : a.type;

function zone(): Zone {
  return {
    srv: new Map([["_http._tcp.web.test", [
      { priority: 10, weight: 5, port: 8080, target: "a.web.test." },
      { priority: 10, weight: 5, port: 8081, target: "b.web.test." },
      { priority: 20, weight: 0, port: 9, target: "gone.web.test." }, // does not resolve
    ]]]),
    a: new Map([["a.web.test", ["10.0.0.1"]], ["b.web.test", ["10.0.0.2", "10.0.0.3"]]]),
  };
}

Deno.test("resolveSrv() resolves the SRV targets through the given name server", async () => {
  const dns = await startFakeDns(zone());
  try {
    const addrs = await resolveSrv(
      "_http._tcp.web.test",
      [`127.0.0.1:${dns.port}`],
      AbortSignal.timeout(3000),
    );
    assertEquals(addrs.map((a) => `${a.host}:${a.port}`).sort(), [
      "10.0.0.1:8080",
      "10.0.0.2:8081",
      "10.0.0.3:8081",
    ]);
    assert(dns.queries.includes("SRV _http._tcp.web.test"), dns.queries.join(", "));
    assert(addrs.every((a) => a.weight === 1));
  } finally {
    await dns.close();
  }
});

Deno.test("createDnsSrvNamer() binds a record, is Neg for NXDOMAIN and follows changes", async () => {
  const z = zone();
  const dns = await startFakeDns(z);
  const namer = createDnsSrvNamer({ dnsHosts: [`127.0.0.1:${dns.port}`], refreshMs: 50 });
  try {
    const v = namer.lookup(["_http._tcp.web.test", "rest"]);
    assertEquals(v.get().state, "pending");
    const b = boundOf(await waitFor(v, (a) => a.state !== "pending", 3000, "the SRV answer"));
    assertEquals(b.idStr, "/_http._tcp.web.test");
    assertEquals(b.residual, ["rest"]);
    assertEquals(hosts(b.addr.get()), ["10.0.0.1:8080", "10.0.0.2:8081", "10.0.0.3:8081"]);
    const missing = namer.lookup(["_http._tcp.nope.test"]);
    const neg = await waitFor(missing, (a) => a.state !== "pending", 3000, "NXDOMAIN");
    assert(neg.state === "ok" && neg.value.type === "neg", JSON.stringify(neg));
    // a refresh picks up a changed record
    z.srv.set("_http._tcp.web.test", [{
      priority: 1,
      weight: 1,
      port: 9000,
      target: "a.web.test",
    }]);
    await waitFor(b.addr, (a) => hosts(a)[0] === "10.0.0.1:9000", 3000, "the new record");
    z.srv.delete("_http._tcp.web.test");
    await waitFor(v, (a) => a.state === "ok" && a.value.type === "neg", 3000, "the record removed");
  } finally {
    await namer.close();
    await dns.close();
  }
});

Deno.test("createDnsSrvNamer() expands relative names with `domain` (namer.md)", async () => {
  // namer.md: relative addresses not ending in `.` are expanded with `domain`; absolute ones
  // ending in `.` are not; the domain is absolute with or without its trailing `.`.
  const dns = await startFakeDns(zone());
  const namer = createDnsSrvNamer({
    dnsHosts: [`127.0.0.1:${dns.port}`],
    domain: "web.test",
    refreshMs: 60_000,
  });
  try {
    const rel = namer.lookup(["_http._tcp"]);
    const b = boundOf(await waitFor(rel, (a) => a.state !== "pending", 3000, "relative name"));
    assertEquals(b.idStr, "/_http._tcp");
    assertEquals(hosts(b.addr.get()), ["10.0.0.1:8080", "10.0.0.2:8081", "10.0.0.3:8081"]);
    const abs = namer.lookup(["_http._tcp.web.test."]);
    const b2 = boundOf(await waitFor(abs, (a) => a.state !== "pending", 3000, "absolute name"));
    assertEquals(hosts(b2.addr.get()).length, 3);
    const absMiss = namer.lookup(["_http._tcp."]); // absolute: not expanded, so NXDOMAIN
    const neg = await waitFor(absMiss, (a) => a.state !== "pending", 3000, "absolute miss");
    assert(neg.state === "ok" && neg.value.type === "neg", JSON.stringify(neg));
    assert(dns.queries.includes("SRV _http._tcp.web.test"), dns.queries.join(", "));
    assert(dns.queries.includes("SRV _http._tcp"), dns.queries.join(", "));
  } finally {
    await namer.close();
    await dns.close();
  }
});

Deno.test("createDnsSrvNamer() keeps the last good endpoints over a transient DNS failure", async () => {
  let fail = false;
  const namer = createDnsSrvNamer({
    refreshMs: 20,
    resolve: () =>
      fail
        ? Promise.reject(new Error("SERVFAIL"))
        : Promise.resolve([{ host: "10.0.0.1", port: 80, weight: 1 }]),
  });
  try {
    const v = namer.lookup(["_x._tcp.svc"]);
    const b = boundOf(await waitFor(v, (a) => a.state !== "pending", 3000));
    fail = true;
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(hosts(b.addr.get()), ["10.0.0.1:80"]);
    assertEquals(v.get().state, "ok");
  } finally {
    await namer.close();
  }
});

Deno.test("createDnsSrvNamer() fails a lookup only as Neg before the first answer", async () => {
  const namer = createDnsSrvNamer({ resolve: () => Promise.reject(new Error("timeout")) });
  try {
    const v = namer.lookup(["_x._tcp.svc"]);
    const a = await waitFor(v, (x) => x.state !== "pending", 3000);
    assert(a.state === "ok" && a.value.type === "neg" && JSON.stringify(a).includes("timeout"));
    assert(namer.lookup([]).get().state === "ok", "an empty path is Neg");
  } finally {
    await namer.close();
  }
});
