/**
 * Mutual TLS on node:tls, for what Deno's own TLS cannot do: client certificates, and the
 * certificates rustls refuses that Linkerd (JSSE) accepts ({@link isX509v1}, CN-only names).
 *
 * - {@link listenMutualTls}: a listener that asks every client for a certificate and refuses the
 *   handshake unless it verifies against the configured CA (Linkerd's
 *   `servers[].tls.requireClientAuth` with `caCertPath`). `Deno.listenTls` has no client
 *   authentication.
 * - {@link mutualTlsDial}: a dialer that presents a client certificate (Linkerd's
 *   `client.tls.clientAuth`) while verifying a `commonName` other than the address it connects
 *   to. `Deno.startTls` takes no certificate, and `Deno.connectTls` verifies the address.
 *   Without a client certificate it is the fallback of `tls_dial.ts` for a server certificate
 *   rustls cannot verify.
 *
 * Both hand out `Deno.Conn`s ({@link NodeConn}), so the raw engine and the HTTP/1.1 client run
 * on them unchanged, through `conn.read` and `conn.write`. A connection accepted by the listener
 * carries the `x-forwarded-client-cert` value of its client's certificate
 * ({@link clientCertHeader}), for `forwardClientCert`.
 *
 * node:net, node:tls and node:crypto are loaded only when a config uses client certificates
 * ({@link loadNodeTls}, awaited by the linker): they cost RSS (issue 6's idle goal) that other
 * processes should not pay.
 *
 * @module
 */
import type * as NodeNet from "node:net";
import type * as NodeTls from "node:tls";
import type * as NodeCrypto from "node:crypto";
import type { Dial } from "./h1/mod.ts";

interface Modules {
  net: typeof NodeNet;
  tls: typeof NodeTls;
  crypto: typeof NodeCrypto;
}

let modules: Modules | undefined;
let loading: Promise<void> | undefined;

/** Load node:net, node:tls and node:crypto (once); needed before {@link listenMutualTls}. */
export function loadNodeTls(): Promise<void> {
  if (modules) return Promise.resolve();
  return (loading ??= Promise.all([import("node:net"), import("node:tls"), import("node:crypto")])
    .then(([net, tls, crypto]) => {
      const d = <T>(m: T): T => (m as { default?: T }).default ?? m;
      modules = { net: d(net), tls: d(tls), crypto: d(crypto) } as Modules;
    }));
}

function node(): Modules {
  if (!modules) throw new Error("node:tls is not loaded yet (await loadNodeTls() first)");
  return modules;
}

/** A listener's TLS settings (`servers[].tls`), PEM text already read. */
export interface ServerTls {
  /** Certificate chain (the leaf first). */
  readonly cert: string;
  /** Private key (PKCS#8 or PKCS#1). */
  readonly key: string;
  /** CAs a client certificate must chain to (`caCertPath`); the runtime's roots when absent. */
  readonly ca?: string | undefined;
  /** Refuse clients without a valid certificate (`requireClientAuth`). */
  readonly requireClientAuth?: boolean | undefined;
  /** The TLS versions enabled (`protocols`, see {@linkcode tlsVersionRange}); all when absent. */
  readonly versions?: TlsVersionRange | undefined;
  /**
   * The certificate is one rustls refuses to serve (X.509 v1, see {@linkcode isX509v1}), as
   * linkerd-examples' `k8s-daemonset/k8s/certificates.yml` is: node:tls (OpenSSL) serves it, as
   * Linkerd's JSSE does.
   */
  readonly legacyCert?: boolean | undefined;
}

/**
 * Whether the first certificate of a PEM chain is X.509 version 1 (its `tbsCertificate` has no
 * `[0] version` field): what `openssl x509 -req` writes without `-extfile`, and what rustls
 * (`Deno.listenTls`, `Deno.startTls`) rejects with `UnsupportedCertVersion` while JSSE and
 * OpenSSL accept it.
 *
 * @param pem PEM text (the first `CERTIFICATE` block is read).
 * @returns false when there is no certificate or it does not parse.
 * @example
 * ```ts ignore
 * isX509v1(Deno.readTextFileSync("certificate.pem")); // true for linkerd-examples' demo certs
 * ```
 */
export function isX509v1(pem: string): boolean {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) return false;
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(m[1]!.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, … }, … }
  const inner = (at: number): number => {
    if (der[at] !== 0x30) return -1;
    const len = der[at + 1] ?? 0;
    return len < 0x80 ? at + 2 : at + 2 + (len & 0x7f);
  };
  const tbs = inner(0);
  const first = tbs < 0 ? -1 : inner(tbs);
  return first > 0 && first < der.length && der[first] !== 0xa0;
}

/** The lowest and highest TLS version a listener negotiates (node:tls names). */
export interface TlsVersionRange {
  readonly minVersion: NodeTlsVersion;
  readonly maxVersion: NodeTlsVersion;
}

/** node:tls's version names. */
export type NodeTlsVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

const TLS_VERSIONS: readonly NodeTlsVersion[] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/**
 * The version range of a TLS `protocols` list (Linkerd's `Protocols.Enabled`, JSSE names
 * `TLSv1`…`TLSv1.3`; `TLSv1.0` is read as `TLSv1`): from the lowest listed to the highest, so a
 * list with a gap enables the versions between. Names that are not TLS versions are skipped;
 * `undefined` (every version) when none is left.
 *
 * @param protocols The configured list, e.g. `["TLSv1.2"]`.
 * @returns The range, or undefined.
 * @example
 * ```ts
 * import { tlsVersionRange } from "./node_tls.ts";
 * tlsVersionRange(["TLSv1.2"]); // { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" }
 * ```
 */
export function tlsVersionRange(
  protocols: readonly string[] | undefined,
): TlsVersionRange | undefined {
  const found = (protocols ?? [])
    .map((p) => TLS_VERSIONS.indexOf((p === "TLSv1.0" ? "TLSv1" : p) as NodeTlsVersion))
    .filter((i) => i >= 0);
  if (found.length === 0) return undefined;
  return {
    minVersion: TLS_VERSIONS[Math.min(...found)]!,
    maxVersion: TLS_VERSIONS[Math.max(...found)]!,
  };
}

/** A `Deno.Conn` over a node socket that has finished its TLS handshake. */
export class NodeConn implements Deno.Conn<Deno.NetAddr> {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  /** The `x-forwarded-client-cert` value of the peer's certificate (accepted connections). */
  readonly clientCert: string | undefined;
  readonly #sock: NodeTls.TLSSocket;
  #chunk: Uint8Array | null = null;
  #ended = false;
  #closed = false;
  #error: unknown = null;
  #wake: (() => void) | null = null;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  constructor(sock: NodeTls.TLSSocket, clientCert?: string) {
    this.#sock = sock;
    this.clientCert = clientCert;
    this.localAddr = netAddr(sock.localAddress, sock.localPort);
    this.remoteAddr = netAddr(sock.remoteAddress, sock.remotePort);
    const wake = (): void => {
      const w = this.#wake;
      this.#wake = null;
      w?.();
    };
    sock.on("readable", wake);
    sock.on("end", () => {
      this.#ended = true;
      wake();
    });
    sock.on("close", () => {
      this.#ended = true;
      wake();
    });
    sock.on("error", (e: unknown) => {
      this.#error = e;
      wake();
    });
  }

  /** Read into `p`; null at the end of the stream or after `close()`. */
  async read(p: Uint8Array): Promise<number | null> {
    if (p.length === 0) return 0;
    for (;;) {
      const c = this.#chunk;
      if (c !== null) {
        const n = Math.min(c.length, p.length);
        p.set(c.subarray(0, n));
        this.#chunk = n === c.length ? null : c.subarray(n);
        return n;
      }
      if (this.#closed) return null;
      const next = this.#sock.read() as Uint8Array | null;
      if (next !== null && next.length > 0) {
        this.#chunk = next;
        continue;
      }
      if (this.#error !== null) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((r) => (this.#wake = r));
    }
  }

  /** Write all of `p`; resolves once node has handed it to the socket. */
  write(p: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("connection closed"));
    return new Promise((resolve, reject) => {
      this.#sock.write(p, (e?: Error | null) => (e ? reject(e) : resolve(p.length)));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sock.destroy();
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#sock.end(resolve));
  }

  /** As `Deno.TcpConn.setNoDelay`. */
  setNoDelay(noDelay = true): void {
    this.#sock.setNoDelay(noDelay);
  }

  /** As `Deno.TcpConn.setKeepAlive`. */
  setKeepAlive(keepAlive = true): void {
    this.#sock.setKeepAlive(keepAlive);
  }

  ref(): void {
    this.#sock.ref();
  }

  unref(): void {
    this.#sock.unref();
  }

  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#readable ??= new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (ctl) => {
        const buf = new Uint8Array(16 * 1024);
        const n = await this.read(buf);
        if (n === null) ctl.close();
        else ctl.enqueue(buf.subarray(0, n));
      },
      cancel: () => this.close(),
    });
    return this.#readable;
  }

  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= new WritableStream<Uint8Array>({
      write: async (chunk) => {
        await this.write(chunk);
      },
      close: () => this.closeWrite(),
      abort: () => this.close(),
    });
    return this.#writable;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function netAddr(hostname: string | undefined, port: number | undefined): Deno.NetAddr {
  return { transport: "tcp", hostname: hostname ?? "", port: port ?? 0 };
}

/**
 * The `x-forwarded-client-cert` value Linkerd's ForwardClientCertFilter gives a certificate:
 * `Hash=<SHA-256 of the DER, upper-case hex>`, then `;SAN=<uri>` for each URI and `;DNS=<name>`
 * for each DNS subject alternative name in the certificate's order, then
 * `;Subject="<subject, RFC 2253>"` (most specific first, as Java's `X500Principal.getName()`).
 *
 * @param der the certificate, DER-encoded
 * @returns the header value
 * @example
 * ```ts ignore
 * clientCertHeader(der); // Hash=91F2…;SAN=spiffe://cluster/ns/default;DNS=client.svc;Subject="CN=client2,O=Acme\, Inc.,C=US"
 * ```
 */
export function clientCertHeader(der: Uint8Array): string {
  const { createHash, X509Certificate } = node().crypto;
  let out = `Hash=${createHash("sha256").update(der).digest("hex").toUpperCase()}`;
  const cert = new X509Certificate(der);
  for (const name of splitAltNames(cert.subjectAltName ?? "")) {
    if (name.startsWith("URI:")) out += `;SAN=${name.slice(4)}`;
    else if (name.startsWith("DNS:")) out += `;DNS=${name.slice(4)}`;
  }
  const subject = cert.subject.split("\n").filter((l) => l.length > 0).reverse()
    .map(rfc2253Rdn).join(",");
  if (subject.length > 0) out += `;Subject="${subject}"`;
  return out;
}

/**
 * The {@link clientCertHeader} of a TLS socket's peer certificate; undefined when the peer sent
 * none or its details cannot be read (nothing to forward).
 */
export function peerCertHeader(sock: NodeTls.TLSSocket): string | undefined {
  try {
    const raw = sock.getPeerCertificate?.(false)?.raw as Uint8Array | undefined;
    return raw && raw.length > 0 ? clientCertHeader(raw) : undefined;
  } catch {
    return undefined;
  }
}

/** `URI:a, DNS:b` → `["URI:a", "DNS:b"]` (node's comma-and-space separated list). */
function splitAltNames(s: string): string[] {
  return s.length === 0 ? [] : s.split(/, (?=[A-Za-z ]+:)/);
}

/** One `TYPE=value` line of node's subject, with the value escaped as RFC 2253 requires. */
function rfc2253Rdn(line: string): string {
  const eq = line.indexOf("=");
  if (eq < 0) return line;
  const value = line.slice(eq + 1).replace(/[,+"\\<>;]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, "\\ ");
  return `${line.slice(0, eq)}=${value}`;
}

/** A mutual-TLS listener's settings (PEM text, already read). */
export interface MutualTlsListen {
  hostname: string;
  port: number;
  reusePort?: boolean | undefined;
  /** Certificate chain and key of the listener. */
  cert: string;
  key: string;
  /** CAs a client certificate must chain to (`caCertPath`); the runtime's roots when absent. */
  ca?: string | undefined;
  /** ALPN protocols offered (the raw engine: `http/1.1`). */
  alpnProtocols?: string[] | undefined;
  /** Ask for and verify client certificates (default true; false: TLS `protocols` only). */
  requireClientAuth?: boolean | undefined;
  /** The TLS versions enabled; every version node:tls supports when absent. */
  versions?: TlsVersionRange | undefined;
}

/** A `Deno.Listener` whose bind completes asynchronously (`ready`). */
export interface MutualTlsListener extends Deno.Listener<NodeConn, Deno.NetAddr> {
  /** Settles when the listener accepts connections (or cannot bind). */
  readonly ready: Promise<void>;
  /**
   * Serve another certificate, key and CA to the connections accepted from now on (node:tls's
   * `setSecureContext`); open connections keep theirs. Check the pair first
   * ({@linkcode checkServerTls}): node:tls takes a key that does not match and fails handshakes.
   */
  setTls(tls: ServerTls): void;
}

/**
 * The `node:tls` secure-context options of a listener: certificate, key, and with
 * `requireClientAuth` the CA client certificates must chain to.
 */
export function secureContextOptions(tls: ServerTls): NodeTls.SecureContextOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.requireClientAuth && tls.ca ? { ca: tls.ca } : {}),
    ...(tls.versions ?? {}),
  };
}

/**
 * Check a listener's certificate, key and CA before serving them: the key must be the
 * certificate's, and each must parse. What a reload checks before it swaps a running listener's
 * certificate (node:tls would take a key that does not match, and fail every handshake).
 *
 * @throws Error saying which part is wrong.
 * @example
 * ```ts ignore
 * await checkServerTls({ cert: Deno.readTextFileSync("c.pem"), key: Deno.readTextFileSync("k.pem") });
 * ```
 */
export async function checkServerTls(tls: ServerTls): Promise<void> {
  await loadNodeTls();
  const { crypto, tls: nodeTls } = node();
  let cert: NodeCrypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(tls.cert);
  } catch (e: unknown) {
    throw new Error(`the certificate does not parse (${(e as Error).message})`);
  }
  let key: NodeCrypto.KeyObject;
  try {
    key = crypto.createPrivateKey(tls.key);
  } catch (e: unknown) {
    throw new Error(`the private key does not parse (${(e as Error).message})`);
  }
  if (!cert.checkPrivateKey(key)) {
    throw new Error(`the private key does not match the certificate (${cert.subject})`);
  }
  try {
    nodeTls.createSecureContext(secureContextOptions(tls));
  } catch (e: unknown) {
    throw new Error(`the certificate, key or CA cannot be used (${(e as Error).message})`);
  }
}

/**
 * Listen for TLS connections that must present a client certificate signed by `ca`; a client
 * without one, or with one that does not verify, fails the handshake and is never accepted.
 * With `requireClientAuth: false` no certificate is asked for (a listener limited to the TLS
 * `versions` of its `protocols`, which `Deno.listenTls` cannot be).
 *
 * The port is bound once synchronously first, so errors surface at once and port 0 becomes a
 * real port; node:tls then binds it again asynchronously (see `ready`).
 *
 * @throws Deno.errors.AddrInUse (and friends) when the port cannot be bound
 */
export function listenMutualTls(opts: MutualTlsListen): MutualTlsListener {
  const reusePort = opts.reusePort === true;
  const probe = Deno.listen({ hostname: opts.hostname, port: opts.port, reusePort });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const server = node().tls.createServer({
    cert: opts.cert,
    key: opts.key,
    ...(opts.requireClientAuth === false ? {} : {
      ...(opts.ca ? { ca: opts.ca } : {}),
      requestCert: true,
      rejectUnauthorized: true,
    }),
    ...(opts.versions ?? {}),
    ...(opts.alpnProtocols ? { ALPNProtocols: opts.alpnProtocols } : {}),
  });
  const requireClientAuth = opts.requireClientAuth !== false;
  const queue: NodeConn[] = [];
  const waiters: { resolve: (c: NodeConn) => void; reject: (e: unknown) => void }[] = [];
  let closed = false;
  server.on("secureConnection", (sock: NodeTls.TLSSocket) => {
    if (closed) {
      sock.destroy();
      return;
    }
    const conn = new NodeConn(sock, peerCertHeader(sock));
    const w = waiters.shift();
    if (w) w.resolve(conn);
    else queue.push(conn);
  });
  server.on("tlsClientError", () => {}); // a refused handshake: the client sees the alert
  server.on("error", () => {});
  const ready = new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", (e: unknown) => reject(e));
  });
  ready.catch(() => {});
  server.listen({ port, host: opts.hostname, reusePort } as { port: number; host: string });
  const listener: MutualTlsListener = {
    addr: { transport: "tcp", hostname: opts.hostname, port },
    ready,
    accept(): Promise<NodeConn> {
      const c = queue.shift();
      if (c) return Promise.resolve(c);
      if (closed) return Promise.reject(new Deno.errors.BadResource("listener closed"));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    close(): void {
      if (closed) return;
      closed = true;
      server.close();
      for (const c of queue.splice(0)) c.close();
      for (const w of waiters.splice(0)) w.reject(new Deno.errors.BadResource("listener closed"));
    },
    ref: () => server.ref(),
    unref: () => server.unref(),
    setTls(tls: ServerTls): void {
      server.setSecureContext(secureContextOptions({ ...tls, requireClientAuth }));
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        try {
          yield await listener.accept();
        } catch {
          return;
        }
      }
    },
    [Symbol.dispose]: () => listener.close(),
  };
  return listener;
}

/** Client TLS through node:tls (PEM text, already read). */
export interface MutualTlsDial {
  /** SNI and the name the server's certificate must carry; the endpoint's host when absent. */
  commonName?: string | undefined;
  /** Trusted CAs; the runtime's roots when empty. */
  caCerts: readonly string[];
  /**
   * Client certificate chain and key; without them node:tls only verifies the server (a
   * certificate rustls refuses: X.509 v1, or a name in the subject CN only, as JSSE accepts).
   */
  cert?: string | undefined;
  key?: string | undefined;
  /** Trust any certificate (`disableValidation`; Finagle's `TrustCredentials.Insecure`). */
  disableValidation?: boolean | undefined;
  /** The TLS versions offered (`protocols`); node's defaults when absent. */
  versions?: TlsVersionRange | undefined;
}

/**
 * A dialer for `createH1Client({ dial })` on node:tls, for what `Deno.startTls` cannot do: present
 * a client certificate, limit the TLS versions, verify a certificate rustls refuses. TCP to the
 * endpoint's address, then TLS verifying `commonName` (ALPN `http/1.1`).
 *
 * @example
 * ```ts ignore
 * const client = createH1Client({ dial: mutualTlsDial({ commonName: "world.svc", caCerts: [ca], cert, key }) });
 * ```
 */
export function mutualTlsDial(opts: MutualTlsDial): Dial {
  return async function dialMutualTls(hostname, port, signal) {
    await loadNodeTls();
    const { net, tls } = node();
    return await new Promise<Deno.Conn>((resolve, reject) => {
      const name = opts.commonName ?? hostname;
      const tcp = net.connect({ host: hostname, port });
      tcp.on("error", () => {}); // reported through the TLS socket
      const sock = tls.connect({
        socket: tcp,
        ...(net.isIP(name) === 0 ? { servername: name } : {}),
        ...(opts.caCerts.length > 0 ? { ca: [...opts.caCerts] } : {}),
        ...(opts.cert !== undefined && opts.key !== undefined
          ? { cert: opts.cert, key: opts.key }
          : {}),
        ...(opts.versions ?? {}),
        ALPNProtocols: ["http/1.1"],
        ...(opts.disableValidation ? { rejectUnauthorized: false } : {}),
        checkServerIdentity: (_host: string, cert: NodeTls.PeerCertificate) =>
          opts.disableValidation ? undefined : tls.checkServerIdentity(name, cert),
      });
      const fail = (e: unknown): void => {
        signal.removeEventListener("abort", onAbort);
        sock.destroy();
        tcp.destroy();
        reject(e);
      };
      const onAbort = (): void => fail(signal.reason);
      if (signal.aborted) return fail(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      sock.once("error", fail);
      sock.once("secureConnect", () => {
        signal.removeEventListener("abort", onAbort);
        sock.off("error", fail);
        const conn = new NodeConn(sock);
        conn.setNoDelay(true);
        resolve(conn);
      });
    });
  };
}
