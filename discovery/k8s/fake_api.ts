/**
 * A fake Kubernetes API server for tests (not re-exported from `mod.ts`): a real `Deno.serve`
 * on loopback that serves core/v1 `endpoints`, `services` and `configmaps` the way the API
 * server does, so the k8s namer, transformers and ConfigMap interpreter run against real HTTP,
 * real chunked watch streams and real JSON shapes.
 *
 * - `GET /api/v1/namespaces/<ns>/<resource>` lists (`fieldSelector=metadata.name=<n>` and
 *   `labelSelector=k=v[,k2=v2]` filter), with the list's `resourceVersion`.
 * - `GET /api/v1/namespaces/<ns>/<resource>/<name>` gets one object (404 `Status` if absent).
 * - `?watch=true&resourceVersion=<rv>` streams newline-delimited `{type, object}` events:
 *   history after `<rv>` first, then live changes. A version older than the last `compact()`
 *   answers 410, as an HTTP status or, with `goneAs: "event"`, as a 200 whose only line is an
 *   `ERROR` event with `code: 410` (the Kubernetes bug Linkerd works around).
 * - `ingresses` are served the same way under `/apis/<group>/<version>/` (any group serves the
 *   one stored set, as the API server converts between versions), minus the group versions in
 *   `unservedApis` (404, as a cluster without that API).
 * - A path without `namespaces/<ns>/` lists or watches every namespace.
 * - `linkerdPathsOnly`: only Linkerd's one-object paths (see {@linkcode FakeK8sApiOptions}).
 * - Faults: `failNext(n, status)` answers the next `n` requests with `status`; `endWatches()`
 *   ends every open stream (a server-side watch timeout); `sendRaw()` writes any bytes to the
 *   open streams; `bookmark()` sends a `BOOKMARK`; `down()` / `up()` refuse connections for a
 *   while, keeping the state; `requireToken` answers 401 without `Authorization: Bearer
 *   <token>`; `tls` serves HTTPS.
 *
 * @example
 * ```ts
 * import { startFakeK8sApi } from "./fake_api.ts";
 * const api = startFakeK8sApi();
 * api.setEndpoints("default", "web", [{ ip: "10.0.0.1", nodeName: "n1" }], [{ name: "http", port: 8080 }]);
 * const res = await fetch(`${api.url}/api/v1/namespaces/default/endpoints/web`);
 * (await res.json()).subsets[0].ports[0].port; // 8080
 * await api.close();
 * ```
 *
 * @module
 */
import type {
  EndpointAddress,
  EndpointPort,
  EndpointSubset,
  ObjectMeta,
  ServicePort,
} from "./resources.ts";

/** Options of {@linkcode startFakeK8sApi}. */
export interface FakeK8sApiOptions {
  /** Listen address, default 127.0.0.1. */
  readonly hostname?: string;
  /** Listen port, default a free one (pass a stopped fake's port to bring "the API" back). */
  readonly port?: number;
  /** How a too-old resourceVersion is refused: HTTP 410 (default) or an ERROR event in a 200. */
  readonly goneAs?: "status" | "event";
  /** Require this bearer token (401 otherwise). */
  readonly requireToken?: string;
  /** Serve HTTPS with this PEM certificate and key. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Group versions answered 404, e.g. `["networking.k8s.io/v1"]` (an old cluster). */
  readonly unservedApis?: readonly string[];
  /**
   * Serve only the one-object paths Linkerd's client uses (a fake written from Linkerd's tests):
   * `GET …/namespaces/<ns>/<resource>/<name>` and its watch `…/watch/namespaces/<ns>/<resource>/
   * <name>?resourceVersion=<rv>`; collection lists and `?watch=true` answer 404.
   */
  readonly linkerdPathsOnly?: boolean;
}

/** A stored object: any JSON with metadata. */
export interface FakeObject {
  readonly metadata: ObjectMeta & { name: string; namespace: string; resourceVersion: string };
  readonly [key: string]: unknown;
}

/** The running fake. */
export interface FakeK8sApi {
  /** `http(s)://127.0.0.1:<port>`. */
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
  /** Every request as `METHOD /path?query`. */
  readonly requests: string[];
  /** The current resourceVersion. */
  version(): number;
  /** Create or replace an object (`ADDED` or `MODIFIED`); returns its new resourceVersion. */
  put(resource: string, namespace: string, obj: Record<string, unknown>): string;
  /** Create or replace an Endpoints object with one subset (more: pass `subsets`). */
  setEndpoints(
    namespace: string,
    name: string,
    addresses: readonly EndpointAddress[],
    ports: readonly EndpointPort[],
    extra?: { readonly labels?: Record<string, string>; readonly subsets?: EndpointSubset[] },
  ): string;
  /** Create or replace a Service. */
  setService(
    namespace: string,
    name: string,
    ports: readonly ServicePort[],
    labels?: Record<string, string>,
    /** `status.loadBalancer.ingress` (a LoadBalancer service's external addresses). */
    ingress?: readonly { ip?: string; hostname?: string }[],
  ): string;
  /** Create or replace a ConfigMap with `data` (key → text). */
  setConfigMap(namespace: string, name: string, data: Record<string, string>): string;
  /** Delete an object (`DELETED`); false when absent. */
  remove(resource: string, namespace: string, name: string): boolean;
  /** Forget the event history and move the version on: watches from before get 410. */
  compact(): void;
  /** Answer the next `n` requests with `status`. */
  failNext(n: number, status?: number): void;
  /** End every open watch stream. */
  endWatches(): void;
  /** Hold new watch requests (they wait) until {@linkcode FakeK8sApi.resumeWatches}. */
  pauseWatches(): void;
  /** Let held and new watch requests through. */
  resumeWatches(): void;
  /** Open watch streams. */
  watchCount(): number;
  /** Write `text` as is to every open watch stream (a malformed or partial line). */
  sendRaw(text: string): void;
  /**
   * Stop listening (connections are refused) and end every stream, keeping the objects and the
   * history, as an API server or `kubectl proxy` that is down; {@linkcode FakeK8sApi.up} brings
   * it back on the same port.
   */
  down(): Promise<void>;
  /** Listen again after {@linkcode FakeK8sApi.down}. */
  up(): void;
  /** Send a `BOOKMARK` event at the current resourceVersion to every open watch stream. */
  bookmark(): void;
  close(): Promise<void>;
}

interface Watcher {
  readonly resource: string;
  readonly namespace: string;
  readonly name: string | undefined;
  readonly labels: [string, string][];
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
}

interface Event {
  readonly rv: number;
  readonly resource: string;
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly object: FakeObject;
}

const KINDS: Record<string, string> = {
  endpoints: "Endpoints",
  services: "Service",
  ingresses: "Ingress",
  configmaps: "ConfigMap",
};
const PATH =
  /^\/(?:api\/v1|apis\/([^/]+\/[^/]+))(\/watch)?(?:\/namespaces\/([^/]+))?\/(endpoints|services|ingresses|configmaps)(?:\/([^/]+))?$/;
const enc = new TextEncoder();

function parseLabels(sel: string | null): [string, string][] {
  if (!sel) return [];
  return sel.split(",").filter(Boolean).map((term) => {
    const [k, v] = term.split(/==?/);
    return [(k ?? "").trim(), (v ?? "").trim()];
  });
}

function parseName(sel: string | null): string | undefined {
  const m = /^metadata\.name==?(.+)$/.exec(sel ?? "");
  return m?.[1];
}

function matches(
  obj: FakeObject,
  name: string | undefined,
  labels: readonly [string, string][],
): boolean {
  if (name !== undefined && obj.metadata.name !== name) return false;
  return labels.every(([k, v]) => obj.metadata.labels?.[k] === v);
}

function status(code: number, reason: string, message: string): Response {
  return Response.json(
    { kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code },
    { status: code },
  );
}

/**
 * Start the fake on a free port.
 *
 * @param opts Listen address, 410 style, auth, TLS.
 * @returns The fake; `close()` ends every stream and stops the server.
 * @example
 * ```ts
 * import { startFakeK8sApi } from "./fake_api.ts";
 * const api = startFakeK8sApi({ goneAs: "event" });
 * await api.close();
 * ```
 */
export function startFakeK8sApi(opts: FakeK8sApiOptions = {}): FakeK8sApi {
  const objects = new Map<string, FakeObject>(); // resource/ns/name
  const history: Event[] = [];
  const watchers = new Set<Watcher>();
  const requests: string[] = [];
  let rv = 100;
  let compactedAt = 0;
  let failures = 0;
  let failStatus = 500;
  let paused: { promise: Promise<void>; resolve: () => void } | undefined;

  function list(resource: string, ns: string): FakeObject[] {
    const prefix = ns === "" ? `${resource}/` : `${resource}/${ns}/`;
    return [...objects].filter(([k]) => k.startsWith(prefix)).map(([, o]) => o);
  }

  function send(w: Watcher, type: string, object: unknown): void {
    try {
      w.controller.enqueue(enc.encode(JSON.stringify({ type, object }) + "\n"));
    } catch {
      watchers.delete(w);
    }
  }

  function record(resource: string, type: Event["type"], object: FakeObject): void {
    const ev: Event = { rv: Number(object.metadata.resourceVersion), resource, type, object };
    history.push(ev);
    for (const w of watchers) {
      if (
        w.resource === resource &&
        (w.namespace === "" || w.namespace === object.metadata.namespace) &&
        matches(object, w.name, w.labels)
      ) send(w, type, object);
    }
  }

  function handleWatch(
    resource: string,
    ns: string,
    url: URL,
    name: string | undefined,
    labels: [string, string][],
  ): Response {
    const from = Number(url.searchParams.get("resourceVersion") || "0");
    if (from !== 0 && from < compactedAt) {
      const message = `too old resource version: ${from} (${compactedAt})`;
      if (opts.goneAs === "event") {
        const body = JSON.stringify({
          type: "ERROR",
          object: {
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            message,
            reason: "Expired",
            code: 410,
          },
        }) + "\n";
        return new Response(body, { headers: { "content-type": "application/json" } });
      }
      return status(410, "Expired", message);
    }
    let watcher: Watcher | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        watcher = { resource, namespace: ns, name, labels, controller };
        const replay = from === 0
          ? list(resource, ns).filter((o) => matches(o, name, labels)).map((o) => ({
            type: "ADDED" as const,
            object: o,
          }))
          : history.filter((e) =>
            e.rv > from && e.resource === resource &&
            (ns === "" || e.object.metadata.namespace === ns) &&
            matches(e.object, name, labels)
          );
        for (const e of replay) send(watcher, e.type, e.object);
        watchers.add(watcher);
      },
      cancel() {
        if (watcher) watchers.delete(watcher);
      },
    });
    return new Response(body, {
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    });
  }

  async function handler(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const isWatch = url.searchParams.get("watch") === "true" ||
      url.searchParams.get("watch") === "1" || url.pathname.includes("/watch/");
    while (isWatch && paused) await paused.promise;
    return respond(req);
  }

  function respond(req: Request): Response {
    const url = new URL(req.url);
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (failures > 0) {
      failures--;
      return status(failStatus, "InternalError", "injected failure");
    }
    if (opts.requireToken !== undefined) {
      if (req.headers.get("authorization") !== `Bearer ${opts.requireToken}`) {
        return status(401, "Unauthorized", "Unauthorized");
      }
    }
    const m = PATH.exec(url.pathname);
    const group = m?.[1];
    const watchPath = m?.[2] !== undefined;
    const watchParam = url.searchParams.get("watch") === "true" ||
      url.searchParams.get("watch") === "1";
    const served = m !== null && (group === undefined) === (m[4] !== "ingresses") &&
      !(group !== undefined && opts.unservedApis?.includes(group)) &&
      // The watch path prefix only in the Linkerd mode, and there only for one object.
      (opts.linkerdPathsOnly ? m[5] !== undefined && !watchParam : !watchPath);
    if (!m || !served || req.method !== "GET" || (m[5] !== undefined && m[3] === undefined)) {
      return status(404, "NotFound", "the server could not find the requested resource");
    }
    const ns = m[3] === undefined ? "" : decodeURIComponent(m[3]);
    const resource = m[4] as string;
    const one = m[5] === undefined ? undefined : decodeURIComponent(m[5]);
    const name = one ?? parseName(url.searchParams.get("fieldSelector"));
    const labels = parseLabels(url.searchParams.get("labelSelector"));
    if (watchParam || watchPath) return handleWatch(resource, ns, url, name, labels);
    if (one !== undefined) {
      const obj = objects.get(`${resource}/${ns}/${one}`);
      return obj ? Response.json(obj) : status(404, "NotFound", `${resource} "${one}" not found`);
    }
    return Response.json({
      kind: `${KINDS[resource]}List`,
      apiVersion: group ?? "v1",
      metadata: { resourceVersion: String(rv) },
      items: list(resource, ns).filter((o) => matches(o, name, labels)),
    });
  }

  const serve = (port: number) =>
    Deno.serve({
      hostname: opts.hostname ?? "127.0.0.1",
      port,
      onListen() {},
      ...(opts.tls ? { cert: opts.tls.cert, key: opts.tls.key } : {}),
    }, handler);
  let server: Deno.HttpServer | undefined = serve(opts.port ?? 0);
  const addr = server.addr as Deno.NetAddr;
  const scheme = opts.tls ? "https" : "http";

  function put(resource: string, namespace: string, obj: Record<string, unknown>): string {
    const meta = (obj.metadata ?? {}) as ObjectMeta;
    const name = meta.name as string;
    const key = `${resource}/${namespace}/${name}`;
    const existed = objects.has(key);
    const version = String(++rv);
    const stored: FakeObject = {
      kind: KINDS[resource],
      apiVersion: "v1",
      ...obj,
      metadata: { ...meta, name, namespace, resourceVersion: version },
    };
    objects.set(key, stored);
    record(resource, existed ? "MODIFIED" : "ADDED", stored);
    return version;
  }

  return {
    url: `${scheme}://${addr.hostname}:${addr.port}`,
    hostname: addr.hostname,
    port: addr.port,
    requests,
    version: () => rv,
    put,
    setEndpoints(namespace, name, addresses, ports, extra) {
      const subsets = extra?.subsets ?? [{ addresses: [...addresses], ports: [...ports] }];
      return put("endpoints", namespace, {
        metadata: { name, ...(extra?.labels ? { labels: extra.labels } : {}) },
        subsets,
      });
    },
    setService(namespace, name, ports, labels, ingress) {
      return put("services", namespace, {
        metadata: { name, ...(labels ? { labels } : {}) },
        spec: { ports: [...ports], clusterIP: "10.96.0.10" },
        ...(ingress ? { status: { loadBalancer: { ingress: [...ingress] } } } : {}),
      });
    },
    setConfigMap(namespace, name, data) {
      return put("configmaps", namespace, { metadata: { name }, data: { ...data } });
    },
    remove(resource, namespace, name) {
      const key = `${resource}/${namespace}/${name}`;
      const obj = objects.get(key);
      if (!obj) return false;
      objects.delete(key);
      const deleted: FakeObject = {
        ...obj,
        metadata: { ...obj.metadata, resourceVersion: String(++rv) },
      };
      record(resource, "DELETED", deleted);
      return true;
    },
    compact() {
      compactedAt = ++rv; // as if other objects changed: a watch from before now must list again
      history.length = 0;
    },
    failNext(n, code = 500) {
      failures = n;
      failStatus = code;
    },
    endWatches() {
      for (const w of watchers) {
        try {
          w.controller.close();
        } catch {
          // already closed
        }
      }
      watchers.clear();
    },
    pauseWatches() {
      if (paused) return;
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      paused = { promise, resolve };
    },
    resumeWatches() {
      paused?.resolve();
      paused = undefined;
    },
    watchCount: () => watchers.size,
    sendRaw(text) {
      for (const w of watchers) {
        try {
          w.controller.enqueue(enc.encode(text));
        } catch {
          watchers.delete(w);
        }
      }
    },
    bookmark() {
      for (const w of watchers) {
        send(w, "BOOKMARK", {
          kind: KINDS[w.resource],
          apiVersion: "v1",
          metadata: { resourceVersion: String(rv) },
        });
      }
    },
    async down() {
      const s = server;
      server = undefined;
      this.endWatches();
      await s?.shutdown();
    },
    up() {
      server ??= serve(addr.port);
    },
    async close() {
      this.resumeWatches();
      await this.down();
    },
  };
}
