/**
 * A fake Consul agent for tests: a real `Deno.serve` on loopback answering the HTTP API v1 paths
 * the `io.l5d.consul` namer reads, in the JSON shapes of Consul's API docs
 * (developer.hashicorp.com/consul/api-docs: catalog "List Nodes for Service", health "List
 * Service Instances for Service", agent "Read Configuration", "Blocking Queries").
 *
 * - `GET /v1/catalog/service/<name>?dc=&tag=&index=&wait=`: the instances (`ServiceAddress`,
 *   `ServicePort`, `ServiceTags`, node `Address`, …), `X-Consul-Index` in every answer.
 * - `GET /v1/health/service/<name>?…&passing=true|false`: `{Node, Service, Checks}` entries;
 *   `passing=true` keeps instances whose every check passes.
 * - Blocking: with `index=N` the answer waits until the service changes after N, or `wait`
 *   (default 5 minutes, `waitMs`) ends, then answers with the current index.
 * - `GET /v1/agent/self`: `{Config: {Datacenter, Domain}}`.
 * - `GET /v1/kv/<key>?dc=&index=&wait=` (KV store "Read Key"): `[{Key, Value: <base64>, Flags,
 *   LockIndex, CreateIndex, ModifyIndex}]`, or with `raw` the value itself; 404 (with
 *   `X-Consul-Index`) when the key does not exist. Blocking as above, on the key's last change.
 * - An unknown datacenter answers 500 `No path to datacenter`, as Consul does; `requireToken`
 *   answers 403 `ACL not found` without the right `X-Consul-Token`.
 * - Names and tags match case-insensitively, as Consul's catalog does.
 * - `tls`: HTTPS with the given certificate.
 * - Faults: `failNext(n, status)`; `down()` closes the listener (pending queries are dropped)
 *   and `up()` listens again on the same port, keeping the state.
 *
 * @module
 */

/** One instance of a service. */
export interface FakeInstance {
  /** Node name, default `node-<i>`. */
  readonly node?: string;
  /** The node's address, default 127.0.0.1. */
  readonly address?: string;
  /** The service's own address, default "" (none). */
  readonly serviceAddress?: string;
  readonly port: number;
  readonly tags?: readonly string[];
  /** Check statuses of the instance (default one passing check). */
  readonly checks?: readonly ("passing" | "warning" | "critical" | "maintenance")[];
}

/** Options of {@linkcode startFakeConsul}. */
export interface FakeConsulOptions {
  /** The agent's datacenter, default `dc1`; other known ones in `datacenters`. */
  readonly datacenter?: string;
  readonly datacenters?: readonly string[];
  /** The agent's `Config.Domain`, default `consul.`. */
  readonly domain?: string;
  readonly requireToken?: string;
  /** Default blocking wait, default 300000 ms. */
  readonly waitMs?: number;
  readonly port?: number;
  /** Serve HTTPS with this PEM certificate and key. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** A request as the fake saw it. */
export interface SeenRequest {
  readonly path: string;
  readonly query: Record<string, string>;
  readonly token: string | null;
  readonly host: string | null;
}

/** The running fake. */
export interface FakeConsul {
  readonly port: number;
  readonly requests: SeenRequest[];
  /** The current raft index. */
  index(): number;
  /** Replace a service's instances in a datacenter (default the agent's). */
  setService(name: string, instances: readonly FakeInstance[], dc?: string): void;
  /** Set a KV key (no leading `/`) in a datacenter (default the agent's); `null` deletes it. */
  setKv(key: string, value: string | null, dc?: string): void;
  /** Answer the next `n` requests with `status`. */
  failNext(n: number, status: number): void;
  down(): Promise<void>;
  up(): void;
  close(): Promise<void>;
}

interface Stored {
  readonly name: string;
  instances: readonly FakeInstance[];
  modifyIndex: number;
}

/**
 * Start the fake on 127.0.0.1.
 *
 * @param opts Datacenters, domain, token, wait.
 * @returns The fake.
 */
export function startFakeConsul(opts: FakeConsulOptions = {}): FakeConsul {
  const agentDc = opts.datacenter ?? "dc1";
  const dcs = new Set([agentDc, ...(opts.datacenters ?? [])]);
  const services = new Map<string, Stored>(); // `${dc}/${lowercase name}`
  /** `${dc}/${key}` → value (null once deleted) and the index of its last change. */
  const kv = new Map<string, { value: string | null; create: number; modify: number }>();
  const requests: SeenRequest[] = [];
  const waiters = new Set<() => void>();
  let raft = 10;
  let failures: { n: number; status: number } = { n: 0, status: 500 };
  let server: Deno.HttpServer | undefined;
  let port = opts.port ?? 0;
  let aborter = new AbortController();

  function wake(): void {
    for (const w of [...waiters]) w();
  }

  function catalogEntry(s: Stored, i: FakeInstance, n: number, dc: string) {
    return {
      ID: `00000000-0000-0000-0000-00000000000${n}`,
      Node: i.node ?? `node-${n}`,
      Address: i.address ?? "127.0.0.1",
      Datacenter: dc,
      TaggedAddresses: { lan: i.address ?? "127.0.0.1", wan: i.address ?? "127.0.0.1" },
      NodeMeta: { "consul-network-segment": "" },
      ServiceKind: "",
      ServiceID: `${s.name}-${n}`,
      ServiceName: s.name,
      ServiceTags: [...(i.tags ?? [])],
      ServiceAddress: i.serviceAddress ?? "",
      ServiceWeights: { Passing: 1, Warning: 1 },
      ServiceMeta: {},
      ServicePort: i.port,
      ServiceEnableTagOverride: false,
      CreateIndex: s.modifyIndex,
      ModifyIndex: s.modifyIndex,
    };
  }

  function healthEntry(s: Stored, i: FakeInstance, n: number, dc: string) {
    return {
      Node: {
        ID: `00000000-0000-0000-0000-00000000000${n}`,
        Node: i.node ?? `node-${n}`,
        Address: i.address ?? "127.0.0.1",
        Datacenter: dc,
        TaggedAddresses: { lan: i.address ?? "127.0.0.1" },
        Meta: {},
        CreateIndex: s.modifyIndex,
        ModifyIndex: s.modifyIndex,
      },
      Service: {
        ID: `${s.name}-${n}`,
        Service: s.name,
        Tags: [...(i.tags ?? [])],
        Address: i.serviceAddress ?? "",
        Meta: null,
        Port: i.port,
        EnableTagOverride: false,
        CreateIndex: s.modifyIndex,
        ModifyIndex: s.modifyIndex,
      },
      Checks: (i.checks ?? ["passing"]).map((status, c) => ({
        Node: i.node ?? `node-${n}`,
        CheckID: `service:${s.name}-${n}:${c}`,
        Name: `check ${c}`,
        Status: status,
        Notes: "",
        Output: "",
        ServiceID: `${s.name}-${n}`,
        ServiceName: s.name,
        CreateIndex: s.modifyIndex,
        ModifyIndex: s.modifyIndex,
      })),
    };
  }

  /** A blocking query: with `index=N`, wait until `modifyIndex()` passes N, or `wait` ends. */
  async function block(
    req: Request,
    query: Record<string, string>,
    modifyIndex: () => number,
  ): Promise<void> {
    const after = Number(query.index ?? 0);
    if (!(after > 0)) return;
    const waitMs = query.wait ? parseWait(query.wait) : opts.waitMs ?? 300_000;
    await new Promise<void>((resolve) => {
      const changed = () => modifyIndex() > after;
      if (changed()) return resolve();
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
        req.signal.removeEventListener("abort", done);
        aborter.signal.removeEventListener("abort", done);
        resolve();
      };
      const check = () => {
        if (changed()) done();
      };
      const timer = setTimeout(done, waitMs);
      waiters.add(check);
      req.signal.addEventListener("abort", done);
      aborter.signal.addEventListener("abort", done);
    });
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const query = Object.fromEntries(url.searchParams);
    requests.push({
      path: url.pathname,
      query,
      token: req.headers.get("x-consul-token"),
      host: req.headers.get("host"),
    });
    if (failures.n > 0) {
      failures.n--;
      return new Response("injected failure", { status: failures.status });
    }
    if (
      opts.requireToken !== undefined && req.headers.get("x-consul-token") !== opts.requireToken
    ) {
      return new Response("ACL not found", { status: 403 });
    }
    if (url.pathname === "/v1/agent/self") {
      return Response.json({
        Config: { Datacenter: agentDc, NodeName: "agent", Domain: opts.domain ?? "consul." },
        Member: { Name: "agent", Addr: "127.0.0.1", Port: 8301 },
      });
    }
    const kvPath = /^\/v1\/kv\/(.+)$/.exec(url.pathname);
    if (kvPath) {
      const dc = query.dc ?? agentDc;
      if (!dcs.has(dc)) return new Response("No path to datacenter", { status: 500 });
      const key = `${dc}/${decodeURIComponent(kvPath[1]!)}`;
      await block(req, query, () => kv.get(key)?.modify ?? 0);
      const e = kv.get(key);
      const headers = { "x-consul-index": String(raft), "x-consul-knownleader": "true" };
      if (!e || e.value === null) return new Response(null, { status: 404, headers });
      if ("raw" in query) return new Response(e.value, { headers });
      return Response.json([{
        LockIndex: 0,
        Key: decodeURIComponent(kvPath[1]!),
        Flags: 0,
        Value: btoa(String.fromCharCode(...new TextEncoder().encode(e.value))),
        CreateIndex: e.create,
        ModifyIndex: e.modify,
      }], { headers });
    }
    const m = /^\/v1\/(catalog|health)\/service\/([^/]+)$/.exec(url.pathname);
    if (!m) return new Response("Not found", { status: 404 });
    const dc = query.dc ?? agentDc;
    if (!dcs.has(dc)) return new Response("No path to datacenter", { status: 500 });
    const key = `${dc}/${decodeURIComponent(m[2]!).toLowerCase()}`;
    await block(req, query, () => services.get(key)?.modifyIndex ?? 0);
    const s = services.get(key);
    const tag = query.tag?.toLowerCase();
    const list = (s?.instances ?? []).map((i, n) => ({ i, n })).filter(({ i }) =>
      tag === undefined || (i.tags ?? []).some((t) => t.toLowerCase() === tag)
    );
    const headers = { "x-consul-index": String(raft), "x-consul-knownleader": "true" };
    if (m[1] === "catalog") {
      return Response.json(list.map(({ i, n }) => catalogEntry(s!, i, n, dc)), { headers });
    }
    const passing = query.passing === "true" || query.passing === "1" || query.passing === "";
    const healthy = list.filter(({ i }) =>
      !passing || (i.checks ?? ["passing"]).every((c) => c === "passing")
    );
    return Response.json(healthy.map(({ i, n }) => healthEntry(s!, i, n, dc)), { headers });
  }

  function listen(): void {
    aborter = new AbortController();
    const listen = { hostname: "127.0.0.1", port, onListen() {} };
    server = Deno.serve(opts.tls ? { ...listen, ...opts.tls } : listen, handle);
    port = (server.addr as Deno.NetAddr).port;
  }
  listen();

  return {
    get port() {
      return port;
    },
    requests,
    index: () => raft,
    setService(name, instances, dc = agentDc) {
      raft++;
      const key = `${dc}/${name.toLowerCase()}`;
      services.set(key, { name, instances, modifyIndex: raft });
      wake();
    },
    setKv(key, value, dc = agentDc) {
      raft++;
      const k = `${dc}/${key.replace(/^\/+/, "")}`;
      const had = kv.get(k);
      const create = had && had.value !== null ? had.create : raft;
      kv.set(k, { value, create, modify: raft });
      wake();
    },
    failNext(n, status) {
      failures = { n, status };
    },
    async down() {
      aborter.abort();
      await server?.shutdown();
      server = undefined;
    },
    up() {
      if (!server) listen();
    },
    async close() {
      aborter.abort();
      await server?.shutdown();
      server = undefined;
    },
  };
}

function parseWait(text: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(text);
  if (!m) return 300_000;
  const n = Number(m[1]);
  return m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
}
