/**
 * A fake Marathon (DC/OS) API for tests: a real `Deno.serve` on loopback answering the v2 apps
 * API with the JSON shapes of Marathon's docs (`docs/docs/rest-api` / the generated
 * `api.html#v2_apps`), so the `io.l5d.marathon` namer runs against real HTTP.
 *
 * - `GET <prefix>/v2/apps` → `{"apps": [{id, instances, tasksRunning, ...}]}` (no tasks, as
 *   Marathon without `embed`).
 * - `GET <prefix>/v2/apps/<id>?embed=app.tasks` → `{"app": {id, healthChecks, ipAddress?,
 *   tasks: [{id, appId, host, ports, ipAddresses, state, healthCheckResults}]}}`; an unknown id
 *   is 404 `{"message": "App '/<id>' does not exist"}`.
 * - Auth: `basic` requires `Authorization: Basic <value>`; `dcos` serves the DC/OS login
 *   (`POST /acs/api/v1/auth/login` with `{uid, token}`, the JWT verified RS256 with `publicKey`)
 *   and then requires `Authorization: token=<issued>`; `expireTokens()` forgets the tokens
 *   issued so far (the next use is a 401). Anything else is 401.
 * - Faults: `down()` closes the listener (connections refused), `up()` listens on the same port
 *   again with the same state; `failWith(status)` answers every request with `status` until
 *   `failWith(undefined)`.
 * - `requests` records method, path with query, and headers of every request.
 *
 * @module
 */

/** One Mesos task of an app. */
export interface FakeTask {
  readonly host?: string;
  readonly ports?: readonly number[];
  /** `ipAddresses[0].ipAddress` (IP-per-task networking). */
  readonly ip?: string;
  /** Default `TASK_RUNNING`. */
  readonly state?: string;
  /** `healthCheckResults[].alive`; absent = no results. */
  readonly alive?: readonly boolean[];
}

/** One app. */
export interface FakeApp {
  readonly tasks: readonly FakeTask[];
  /** Number of health checks defined (default 0). */
  readonly healthChecks?: number;
  /** `ipAddress.discovery.ports[0].number` (IP-per-task). */
  readonly discoveryPort?: number;
}

/** Options of {@linkcode startFakeMarathon}. */
export interface FakeMarathonOptions {
  /** URI prefix before `/v2`, e.g. `/marathon`. */
  readonly prefix?: string;
  readonly port?: number;
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly auth?:
    | { readonly kind: "basic"; readonly token: string }
    | { readonly kind: "dcos"; readonly uid: string; readonly publicKey: CryptoKey };
}

/** A recorded request. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The running fake. */
export interface FakeMarathon {
  readonly port: number;
  readonly requests: SeenRequest[];
  /** Logins seen (dcos auth). */
  readonly logins: number;
  setApp(id: string, app: FakeApp): void;
  removeApp(id: string): void;
  expireTokens(): void;
  failWith(status: number | undefined): void;
  down(): Promise<void>;
  up(): void;
  close(): Promise<void>;
}

function b64urlDecode(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "=".repeat((4 - b64.length % 4) % 4)), (c) => c.charCodeAt(0));
}

async function jwtValid(jwt: string, uid: string, key: CryptoKey): Promise<boolean> {
  const [h, c, sig] = jwt.split(".");
  if (!h || !c || !sig) return false;
  const ok = await crypto.subtle.verify(
    "RSASSA-PKCS1-v1_5",
    key,
    b64urlDecode(sig),
    new TextEncoder().encode(`${h}.${c}`),
  );
  const claim = JSON.parse(new TextDecoder().decode(b64urlDecode(c)));
  const head = JSON.parse(new TextDecoder().decode(b64urlDecode(h)));
  return ok && claim.uid === uid && head.alg === "RS256";
}

function taskJson(appId: string, t: FakeTask, i: number): Record<string, unknown> {
  return {
    id: `${appId.slice(1).replaceAll("/", "_")}.task-${i}`,
    appId,
    host: t.host,
    ports: t.ports ?? [],
    ipAddresses: t.ip ? [{ ipAddress: t.ip, protocol: "IPv4" }] : [],
    state: t.state ?? "TASK_RUNNING",
    startedAt: "2026-11-27T07:00:00.000Z",
    ...(t.alive
      ? {
        healthCheckResults: t.alive.map((alive) => ({
          alive,
          consecutiveFailures: alive ? 0 : 1,
          taskId: `task-${i}`,
        })),
      }
      : {}),
  };
}

/**
 * Start the fake.
 *
 * @param opts Prefix, port, TLS, auth.
 * @returns The running fake.
 */
export function startFakeMarathon(opts: FakeMarathonOptions = {}): FakeMarathon {
  const prefix = opts.prefix ?? "";
  const apps = new Map<string, FakeApp>();
  const tokens = new Set<string>();
  const requests: SeenRequest[] = [];
  let failing: number | undefined;
  let logins = 0;
  let server: Deno.HttpServer | undefined;
  let port = opts.port ?? 0;

  function appJson(id: string, app: FakeApp, withTasks: boolean): Record<string, unknown> {
    return {
      id,
      instances: app.tasks.length,
      tasksRunning: app.tasks.filter((t) => (t.state ?? "TASK_RUNNING") === "TASK_RUNNING").length,
      healthChecks: Array.from(
        { length: app.healthChecks ?? 0 },
        () => ({ protocol: "HTTP", path: "/health", gracePeriodSeconds: 300 }),
      ),
      ...(app.discoveryPort !== undefined
        ? { ipAddress: { discovery: { ports: [{ name: "http", number: app.discoveryPort }] } } }
        : {}),
      ...(withTasks ? { tasks: app.tasks.map((t, i) => taskJson(id, t, i)) } : {}),
    };
  }

  async function authorized(req: Request, url: URL, body: string): Promise<Response | undefined> {
    const auth = opts.auth;
    if (!auth) return undefined;
    const header = req.headers.get("authorization") ?? "";
    if (auth.kind === "basic") {
      return header === `Basic ${auth.token}` ? undefined : new Response("", { status: 401 });
    }
    if (req.method === "POST" && url.pathname === "/acs/api/v1/auth/login") {
      logins++;
      const { uid, token } = JSON.parse(body);
      if (uid !== auth.uid || !(await jwtValid(token, auth.uid, auth.publicKey))) {
        return Response.json({ code: "ERR_INVALID_CREDENTIALS" }, { status: 401 });
      }
      const issued = crypto.randomUUID();
      tokens.add(issued);
      return Response.json({ token: issued });
    }
    const m = /^token=(.+)$/.exec(header);
    return m && tokens.has(m[1] as string) ? undefined : new Response("", { status: 401 });
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = await req.text();
    requests.push({
      method: req.method,
      path: url.pathname + url.search,
      headers: Object.fromEntries(req.headers),
      body,
    });
    if (failing !== undefined) return new Response("failing", { status: failing });
    const denied = await authorized(req, url, body);
    if (denied) return denied;
    if (req.method !== "GET" || !url.pathname.startsWith(`${prefix}/v2/apps`)) {
      return Response.json({ message: "not found" }, { status: 404 });
    }
    const rest = url.pathname.slice(`${prefix}/v2/apps`.length);
    if (rest === "" || rest === "/") {
      return Response.json({ apps: [...apps].map(([id, app]) => appJson(id, app, false)) });
    }
    const app = apps.get(rest);
    if (!app) return Response.json({ message: `App '${rest}' does not exist` }, { status: 404 });
    const withTasks = url.searchParams.get("embed") === "app.tasks";
    return Response.json({ app: appJson(rest, app, withTasks) });
  }

  function up(): void {
    const base = { hostname: "127.0.0.1", port, onListen: () => {} };
    server = Deno.serve(opts.tls ? { ...base, ...opts.tls } : base, handle);
    port = (server.addr as Deno.NetAddr).port;
  }
  up();

  return {
    get port() {
      return port;
    },
    requests,
    get logins() {
      return logins;
    },
    setApp: (id, app) => void apps.set(id, app),
    removeApp: (id) => void apps.delete(id),
    expireTokens: () => tokens.clear(),
    failWith: (status) => void (failing = status),
    async down() {
      await server?.shutdown();
      server = undefined;
    },
    up,
    async close() {
      await server?.shutdown();
      server = undefined;
    },
  };
}
