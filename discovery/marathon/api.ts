/**
 * A small client for the Marathon v2 apps API (L1 `marathon/.../v2/Api.scala`, `AppIdApi`;
 * `namer/marathon/.../MarathonInitializer.scala` for the HTTP client):
 *
 * - `GET <uriPrefix>/v2/apps` lists the app ids; `GET <uriPrefix>/v2/apps<app>?embed=app.tasks`
 *   reads one app with its tasks (`apps.ts` reads the JSON). Any status but 200 is an error.
 * - Requests go to `host:port` (or the `/$/inet/<host>/<port>` of `dst`) with `Host: <host>`,
 *   as Linkerd's `SetHost` filter.
 * - `tls`: HTTPS, the certificate verified against `commonName` (default `host`), which is also
 *   the SNI, with the extra CAs of `trustCertsBundle` / `trustCerts` (`../_http_exchange.ts`: one request per
 *   connection, `Connection: close`; the API is read once per app every `ttlMs`).
 * - Credentials from the environment (`auth.ts`): `Authorization: Basic …`, or a DC/OS login
 *   whose token is sent as `Authorization: token=…` and renewed once on a 401.
 *
 * @module
 */
import type { Address } from "../types.ts";
import { appAddresses, appIds } from "./apps.ts";
import { loginJwt, type MarathonAuth } from "./auth.ts";
import { request, type SimpleResponse, type Target } from "../_http_exchange.ts";

/** Options of {@linkcode createMarathonApi}. */
export interface MarathonApiOptions {
  /** The `Host` header (Linkerd's `host`, default `marathon.mesos`). */
  readonly host: string;
  /** Where to connect. */
  readonly connectHost: string;
  readonly connectPort: number;
  /** Path before `/v2` (Linkerd's `uriPrefix`, default none). */
  readonly uriPrefix: string;
  /** Keep only tasks passing Marathon health checks. */
  readonly useHealthCheck: boolean;
  /** HTTPS: the name to verify and send as SNI, and extra PEM CA certificates. */
  readonly tls?: { readonly serverName: string; readonly caCerts: readonly string[] } | undefined;
  /** Credentials; default none. */
  readonly auth?: MarathonAuth;
  /** Per-request time limit, default 30000 ms. */
  readonly requestTimeoutMs?: number;
}

/** A non-200 answer. */
export class MarathonApiError extends Error {
  /** The HTTP status. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "MarathonApiError";
    this.status = status;
  }
}

/** The client. */
export interface MarathonApi {
  /** `GET <uriPrefix>/v2/apps<app>?embed=app.tasks`, for the namer state. */
  appUri(app: string): string;
  /** The app ids, lowercased paths. */
  appIds(signal: AbortSignal): Promise<Set<string>>;
  /** One app's endpoints, and the JSON they came from. */
  appAddresses(
    app: string,
    signal: AbortSignal,
  ): Promise<{ readonly addrs: Address[]; readonly body: unknown }>;
  /** Nothing to release (one connection per request). */
  close(): void;
}

/**
 * Make a client.
 *
 * @param opts Where and how to connect.
 * @returns The client.
 * @example
 * ```ts
 * import { createMarathonApi } from "./api.ts";
 * const api = createMarathonApi({
 *   host: "127.0.0.1", connectHost: "127.0.0.1", connectPort: 8080, uriPrefix: "",
 *   useHealthCheck: false,
 * });
 * api.appUri("/web"); // "/v2/apps/web?embed=app.tasks"
 * api.close();
 * ```
 */
export function createMarathonApi(opts: MarathonApiOptions): MarathonApi {
  const target: Target = {
    hostname: opts.connectHost,
    port: opts.connectPort,
    ...(opts.tls ? { tls: opts.tls } : {}),
  };
  const timeoutMs = opts.requestTimeoutMs ?? 30000;
  const auth = opts.auth ?? { kind: "none" };
  const prefix = `${opts.uriPrefix}/v2`;
  let token: Promise<string> | undefined;

  function send(
    method: string,
    path: string,
    signal: AbortSignal,
    extra: Record<string, string> = {},
    body?: string,
  ): Promise<SimpleResponse> {
    return request(target, {
      method,
      path,
      headers: { host: opts.host, accept: "application/json", ...extra },
      body,
    }, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
  }

  async function login(signal: AbortSignal): Promise<string> {
    if (auth.kind !== "dcos") throw new Error("no DC/OS credential");
    const { uid, privateKey, loginEndpoint } = auth.credential;
    const jwt = await loginJwt(uid, privateKey);
    const res = await send("POST", new URL(loginEndpoint).pathname, signal, {
      "content-type": "application/json;charset=utf-8",
    }, JSON.stringify({ uid, token: jwt }));
    if (res.status !== 200) {
      throw new MarathonApiError(res.status, `DC/OS login: HTTP ${res.status} ${res.body.trim()}`);
    }
    const t = JSON.parse(res.body)?.token;
    if (typeof t !== "string") throw new Error("DC/OS login: missing token");
    return t;
  }

  async function withToken(path: string, signal: AbortSignal): Promise<SimpleResponse> {
    const t = token ??= login(signal);
    try {
      return await send("GET", path, signal, { authorization: `token=${await t}` });
    } catch (e: unknown) {
      if (token === t) token = undefined; // a failed login is tried again next time
      throw e;
    }
  }

  async function get(path: string, signal: AbortSignal): Promise<unknown> {
    let res: SimpleResponse;
    if (auth.kind === "dcos") {
      // Authenticator.Authenticated: a 401 with a token held from before gets a new token and
      // the request is sent once more.
      const held = token;
      res = await withToken(path, signal);
      if (res.status === 401 && held !== undefined) {
        if (token === held) token = undefined;
        res = await withToken(path, signal);
      }
    } else {
      const extra: Record<string, string> = auth.kind === "basic"
        ? { authorization: `Basic ${auth.token}` }
        : {};
      res = await send("GET", path, signal, extra);
    }
    if (res.status !== 200) {
      throw new MarathonApiError(res.status, `GET ${path}: HTTP ${res.status}`);
    }
    return JSON.parse(res.body);
  }

  const appUri = (app: string) => `${prefix}/apps${app}?embed=app.tasks`;
  return {
    appUri,
    async appIds(signal) {
      return appIds(await get(`${prefix}/apps`, signal));
    },
    async appAddresses(app, signal) {
      const body = await get(appUri(app), signal);
      return { addrs: appAddresses(body, opts.useHealthCheck), body };
    },
    close() {},
  };
}
