/**
 * A small client for the Kubernetes API: `list` and `watch` of one resource kind, core/v1
 * (`endpoints`) or a named group (`networking.k8s.io/v1/ingresses`), in one namespace or all
 * (L1 `k8s/.../Api.scala`, `ClientConfig.scala`).
 *
 * Two ways to reach the API server:
 * - **proxy** (Linkerd's only mode): plain HTTP to `host:port`, default `localhost:8001`, i.e. a
 *   `kubectl proxy -p 8001` sidecar that adds the credentials.
 * - **serviceAccount** (Switchyard): HTTPS straight to the API server with the pod's service
 *   account: the bearer token from `<dir>/token` (re-read every minute, so projected tokens
 *   that rotate keep working), the cluster CA from `<dir>/ca.crt`, and the address from
 *   `KUBERNETES_SERVICE_HOST` / `KUBERNETES_SERVICE_PORT` (`host`/`port` override them). `<dir>`
 *   is `/var/run/secrets/kubernetes.io/serviceaccount`.
 *
 * The mode: `useServiceAccount: true` → serviceAccount; `false` → proxy; unset → serviceAccount
 * when neither `host` nor `port` is configured *and* the process runs in a pod
 * (`KUBERNETES_SERVICE_HOST` set and the token file present), else proxy. So Linkerd configs
 * with `host: localhost, port: 8001` keep using their kubectl sidecar, and a bare
 * `kind: io.l5d.k8s` works in a pod without one.
 *
 * Watches use `GET /api/v1/namespaces/<ns>/<resource>?watch=true&resourceVersion=<rv>` with
 * `allowWatchBookmarks=true` and a server-side `timeoutSeconds`; the body is newline-delimited
 * JSON events, read by {@linkcode readWatchEvents}. The watch loop (resume, 410, backoff) is
 * `watch.ts`.
 *
 * Linkerd reads one object instead (`k8s/.../resources.scala`): `GET
 * /api/v1/namespaces/<ns>/endpoints/<name>` and a watch on
 * `/api/v1/watch/namespaces/<ns>/endpoints/<name>?resourceVersion=<rv>`. A real API server serves
 * both shapes. When one answers a one-name list (`fieldSelector=metadata.name=<name>`) with 404 (a
 * server, proxy or fake that serves only Linkerd's paths), this client switches to Linkerd's
 * shapes for its one-name reads from then on.
 *
 * @module
 */
import type { ObjectList, WatchEvent } from "./resources.ts";

/** The default service-account directory in a pod. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The k8s API settings of a namer or transformer config. */
export interface K8sApiConfig {
  /** API host; default `localhost` (proxy mode) or `KUBERNETES_SERVICE_HOST`. */
  readonly host?: string | undefined;
  /** API port; default 8001 (proxy mode) or `KUBERNETES_SERVICE_PORT` / 443. */
  readonly port?: number | undefined;
  /** Use the pod's service account (HTTPS + bearer token); see the module doc for the default. */
  readonly useServiceAccount?: boolean | undefined;
}

/** Options of {@linkcode createK8sApi}: the config plus injectable environment. */
export interface K8sApiOptions extends K8sApiConfig {
  /** Environment lookup; default `Deno.env.get`. */
  readonly env?: (name: string) => string | undefined;
  /** Service-account directory; default {@linkcode SERVICE_ACCOUNT_DIR}. */
  readonly serviceAccountDir?: string;
  /** Wall clock for token re-reads; default `Date.now`. */
  readonly now?: () => number;
  /** List request timeout, and how long a watch waits for its response headers; 30000 ms. */
  readonly requestTimeoutMs?: number;
}

/** Query parameters of a list or watch. */
export interface K8sQuery {
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
}

/** A non-2xx answer from the API server. */
export class K8sApiError extends Error {
  /** The HTTP status. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "K8sApiError";
    this.status = status;
  }
}

/** The client. */
export interface K8sApi {
  /** `proxy` or `serviceAccount`. */
  readonly mode: "proxy" | "serviceAccount";
  /** The API base URL, e.g. `http://localhost:8001`. */
  readonly baseUrl: string;
  /**
   * `GET /api/v1/namespaces/<ns>/<resource>` (a list).
   *
   * @throws {K8sApiError} On a non-2xx status; network errors as thrown by fetch.
   */
  list<T>(
    ns: string,
    resource: string,
    query: K8sQuery,
    signal: AbortSignal,
  ): Promise<ObjectList<T>>;
  /**
   * Open a watch from `resourceVersion`; the caller reads (or cancels) the body. Any status is
   * returned as is (410 Gone means "list again").
   */
  watch(ns: string, resource: string, query: WatchQuery, signal: AbortSignal): Promise<Response>;
  /** Release the HTTP client. */
  close(): void;
}

function bracket(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Decide the mode and endpoint of a config (no I/O besides checking the token file).
 *
 * @param opts The config and environment.
 * @returns The mode and base URL.
 * @throws {Error} When `useServiceAccount: true` but no API host is known.
 * @example
 * ```ts
 * import { resolveK8sEndpoint } from "./api.ts";
 * resolveK8sEndpoint({ env: () => undefined }); // { mode: "proxy", baseUrl: "http://localhost:8001" }
 * ```
 */
export function resolveK8sEndpoint(
  opts: K8sApiOptions,
): { mode: "proxy" | "serviceAccount"; baseUrl: string } {
  const env = opts.env ?? ((name: string) => Deno.env.get(name));
  const dir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const envHost = env("KUBERNETES_SERVICE_HOST");
  const inPod = envHost !== undefined && envHost !== "" && fileExists(`${dir}/token`);
  const sa = opts.useServiceAccount ??
    (opts.host === undefined && opts.port === undefined && inPod);
  if (!sa) {
    return {
      mode: "proxy",
      baseUrl: `http://${bracket(opts.host ?? "localhost")}:${opts.port ?? 8001}`,
    };
  }
  const host = opts.host ?? envHost;
  if (host === undefined || host === "") {
    throw new Error(
      "useServiceAccount: no API server (set host, or run in a pod with KUBERNETES_SERVICE_HOST)",
    );
  }
  const port = opts.port ?? Number(env("KUBERNETES_SERVICE_PORT") || 443);
  return { mode: "serviceAccount", baseUrl: `https://${bracket(host)}:${port}` };
}

function queryString(q: Record<string, string | number | boolean | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** The watch parameters besides the selectors. */
export interface WatchQuery extends K8sQuery {
  readonly resourceVersion: string;
  readonly timeoutSeconds: number;
}

/**
 * The collection path of a resource: a core/v1 plural (`endpoints`) lives under `/api/v1`, a
 * `<group>/<version>/<plural>` (`networking.k8s.io/v1/ingresses`) under `/apis/<group>/<version>`;
 * the namespace `""` means every namespace (`/apis/networking.k8s.io/v1/ingresses`). With
 * `watchPrefix`, Linkerd's watch path: `/api/v1/watch/namespaces/<ns>/<plural>`.
 */
function collectionPath(ns: string, resource: string, watchPrefix = false): string {
  const slash = resource.lastIndexOf("/");
  const root = (slash < 0 ? "/api/v1" : `/apis/${resource.slice(0, slash)}`) +
    (watchPrefix ? "/watch" : "");
  const plural = resource.slice(slash + 1);
  return ns === "" ? `${root}/${plural}` : `${root}/namespaces/${encodeURIComponent(ns)}/${plural}`;
}

/** The name a one-object query selects (`fieldSelector=metadata.name=<name>`), if it is one. */
function singleName(query: K8sQuery): string | undefined {
  const m = /^metadata\.name==?([^,]+)$/.exec(query.fieldSelector ?? "");
  return m?.[1];
}

/**
 * Linkerd's path of one object, or with `watch` of its watch: `/api/v1/namespaces/<ns>/<plural>/
 * <name>`, `/api/v1/watch/namespaces/<ns>/<plural>/<name>`.
 */
function objectPath(ns: string, resource: string, name: string, watch: boolean): string {
  return `${collectionPath(ns, resource, watch)}/${encodeURIComponent(name)}`;
}

/**
 * The path and query of a list (or, with `watch`, a watch) request.
 *
 * @param ns The namespace; `""` for every namespace (a cluster-wide list or watch).
 * @param resource The plural resource, e.g. `endpoints`, or `<group>/<version>/<plural>` for a
 *   named API group, e.g. `extensions/v1beta1/ingresses`.
 * @param query Selectors, and for a watch the version and timeout.
 * @returns E.g. `/api/v1/namespaces/default/endpoints?fieldSelector=metadata.name%3Dweb`.
 * @example
 * ```ts
 * import { requestPath } from "./api.ts";
 * requestPath("default", "services", {}); // "/api/v1/namespaces/default/services"
 * requestPath("", "networking.k8s.io/v1/ingresses", {}); // "/apis/networking.k8s.io/v1/ingresses"
 * ```
 */
export function requestPath(ns: string, resource: string, query: K8sQuery | WatchQuery): string {
  const base = collectionPath(ns, resource);
  const selectors = { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector };
  if (!("resourceVersion" in query)) return base + queryString(selectors);
  return base + queryString({
    watch: true,
    resourceVersion: query.resourceVersion,
    allowWatchBookmarks: true,
    timeoutSeconds: query.timeoutSeconds,
    ...selectors,
  });
}

/**
 * Make a client. In serviceAccount mode the CA file is read now (a missing CA falls back to the
 * system roots) and the token on first use.
 *
 * @param opts Host, port, mode and environment.
 * @returns The client; `close()` releases its HTTP client.
 * @throws {Error} As {@linkcode resolveK8sEndpoint}.
 * @example
 * ```ts
 * import { createK8sApi } from "./api.ts";
 * const api = createK8sApi({ host: "127.0.0.1", port: 8001 });
 * api.baseUrl; // "http://127.0.0.1:8001"
 * api.close();
 * ```
 */
export function createK8sApi(opts: K8sApiOptions = {}): K8sApi {
  const { mode, baseUrl } = resolveK8sEndpoint(opts);
  const dir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const now = opts.now ?? Date.now;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  let client: Deno.HttpClient | undefined;
  if (mode === "serviceAccount") {
    let ca: string | undefined;
    try {
      ca = Deno.readTextFileSync(`${dir}/ca.crt`);
    } catch {
      ca = undefined;
    }
    client = Deno.createHttpClient(ca ? { caCerts: [ca] } : {});
  }
  let token: { value: string; at: number } | undefined;

  async function headers(): Promise<Headers> {
    const h = new Headers({ accept: "application/json" });
    if (mode === "serviceAccount") {
      if (!token || now() - token.at > 60_000) {
        token = { value: (await Deno.readTextFile(`${dir}/token`)).trim(), at: now() };
      }
      h.set("authorization", `Bearer ${token.value}`);
    }
    return h;
  }

  async function get(path: string, signal: AbortSignal): Promise<Response> {
    return await fetch(`${baseUrl}${path}`, {
      headers: await headers(),
      signal,
      ...(client ? { client } : {}),
    });
  }

  /** Set once a one-name list was answered 404: read one-name queries as Linkerd does. */
  let objectPaths = false;

  /** Linkerd's read of one object, as a list of it (empty when the object is absent). */
  async function getObject<T>(
    ns: string,
    resource: string,
    name: string,
    query: K8sQuery,
    signal: AbortSignal,
  ): Promise<ObjectList<T>> {
    const path = objectPath(ns, resource, name, false) +
      queryString({ labelSelector: query.labelSelector });
    const res = await get(path, signal);
    const text = await res.text();
    if (res.status === 404) return { items: [] };
    if (!res.ok) {
      throw new K8sApiError(res.status, `GET ${path}: ${res.status} ${text.slice(0, 200)}`);
    }
    const obj = JSON.parse(text) as T & { metadata?: { resourceVersion?: string } };
    const rv = obj.metadata?.resourceVersion;
    return { metadata: rv === undefined ? {} : { resourceVersion: rv }, items: [obj] };
  }

  return {
    mode,
    baseUrl,
    async list<T>(ns: string, resource: string, query: K8sQuery, signal: AbortSignal) {
      const name = ns === "" ? undefined : singleName(query);
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new Error("k8s list timed out")),
        requestTimeoutMs,
      );
      const both = AbortSignal.any([signal, timeout.signal]);
      try {
        if (objectPaths && name !== undefined) {
          return await getObject<T>(ns, resource, name, query, both);
        }
        const path = requestPath(ns, resource, query);
        const res = await get(path, both);
        const text = await res.text();
        if (res.status === 404 && name !== undefined) {
          objectPaths = true; // this API serves Linkerd's one-object paths only (module doc)
          return await getObject<T>(ns, resource, name, query, both);
        }
        if (!res.ok) {
          throw new K8sApiError(res.status, `GET ${path}: ${res.status} ${text.slice(0, 200)}`);
        }
        return JSON.parse(text) as ObjectList<T>;
      } finally {
        clearTimeout(timer);
      }
    },
    async watch(ns, resource, query, signal) {
      const name = ns === "" ? undefined : singleName(query);
      let path = requestPath(ns, resource, query);
      if (objectPaths && name !== undefined) {
        // Linkerd's watch request: the selectors it has and the version, nothing more.
        const q = queryString({
          labelSelector: query.labelSelector,
          resourceVersion: query.resourceVersion || undefined,
        });
        path = objectPath(ns, resource, name, true) + q;
      }
      // The headers within requestTimeoutMs (an API server answers a watch at once); the body
      // then streams for as long as the caller reads it.
      const headers = new AbortController();
      const timer = setTimeout(
        () => headers.abort(new Error("k8s watch: no response within the request timeout")),
        requestTimeoutMs,
      );
      try {
        return await get(path, AbortSignal.any([signal, headers.signal]));
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      client?.close();
    },
  };
}

/**
 * Read a watch body: one JSON event per line (blank lines skipped). Lines longer than
 * `maxLineBytes` (default 16 MiB) or that are not JSON end the stream with an error.
 *
 * @param body The response body.
 * @param maxLineBytes Line length bound.
 * @returns The events, in order; ends when the server ends the stream.
 * @throws {Error} On a malformed or oversized line.
 * @example
 * ```ts
 * import { readWatchEvents } from "./api.ts";
 * const body = new Response('{"type":"ADDED","object":{}}\n').body!;
 * for await (const ev of readWatchEvents(body)) ev.type; // "ADDED"
 * ```
 */
export async function* readWatchEvents<T>(
  body: ReadableStream<Uint8Array>,
  maxLineBytes = 16 * 1024 * 1024,
): AsyncGenerator<WatchEvent<T>> {
  let buf = "";
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) yield parseEvent<T>(line);
      }
      if (buf.length > maxLineBytes) {
        throw new Error(`watch event longer than ${maxLineBytes} bytes`);
      }
    }
    if (buf.trim()) yield parseEvent<T>(buf.trim());
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function parseEvent<T>(line: string): WatchEvent<T> {
  let ev: unknown;
  try {
    ev = JSON.parse(line);
  } catch {
    throw new Error(`malformed watch event: ${line.slice(0, 120)}`);
  }
  if (
    ev === null || typeof ev !== "object" || typeof (ev as { type?: unknown }).type !== "string"
  ) {
    throw new Error(`malformed watch event: ${line.slice(0, 120)}`);
  }
  return ev as WatchEvent<T>;
}
