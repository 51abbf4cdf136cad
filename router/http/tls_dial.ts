/**
 * TLS origination for the HTTP/1.1 client (Linkerd `client.tls`): connect to the endpoint's
 * address, then start TLS with the configured `commonName` as SNI and verified name — connecting
 * to an IP while verifying a service name, which `fetch` cannot do. `trustCertsBundle`
 * (or the legacy `trustCerts` / `caCertPath`) add trusted CAs; `disableValidation` trusts any
 * certificate, as Linkerd's `TrustCredentials.Insecure` (rustls skips the name check only, so a
 * certificate it refuses is taken through node:tls, which skips both). `Deno.startTls` takes no client certificate and no TLS version range: with
 * `clientAuth` or `protocols`, {@link tlsDial} dials through node:tls instead (`node_tls.ts`).
 * It does so too when rustls cannot verify a server certificate that Linkerd's JSSE accepts:
 * X.509 v1 (`UnsupportedCertVersion`), or the name in the subject CN only (`NotValidForName`), as
 * linkerd-examples' k8s-daemonset TLS certificates are (`commonName: linkerd`); OpenSSL still
 * checks the chain and the name (CN when there is no SAN).
 *
 * @module
 */
import type { Dial } from "./h1/mod.ts";
import { mutualTlsDial, type TlsVersionRange, tlsVersionRange } from "./node_tls.ts";

/** Resolved client TLS settings. */
export interface ClientTls {
  /** SNI and expected certificate name; the endpoint's host when absent. */
  readonly commonName?: string | undefined;
  /** Extra trusted CA certificates (PEM). */
  readonly caCerts: readonly string[];
  /** Trust any certificate (`disableValidation`): no chain and no name check. */
  readonly disableValidation: boolean;
  /** The client certificate chain and key to present (`clientAuth`), PEM. */
  readonly clientAuth?: { readonly cert: string; readonly key: string } | undefined;
  /** The TLS versions offered (`protocols`, e.g. `[TLSv1.2]`); the runtime's when absent. */
  readonly versions?: TlsVersionRange | undefined;
}

/** Read a `client.tls` block's files into `ClientTls`. */
export function readClientTls(tls: {
  commonName?: string | undefined;
  trustCertsBundle?: string | undefined;
  trustCerts?: readonly string[] | undefined;
  caCertPath?: string | undefined;
  disableValidation?: boolean | undefined;
  clientAuth?: {
    certPath: string;
    keyPath: string;
    intermediateCertsPath?: string | undefined;
  } | undefined;
  protocols?: readonly string[] | undefined;
}): ClientTls {
  const files = [tls.trustCertsBundle, tls.caCertPath, ...(tls.trustCerts ?? [])].filter((
    f,
  ): f is string => typeof f === "string");
  const auth = tls.clientAuth;
  let clientAuth: ClientTls["clientAuth"];
  if (auth) {
    let cert = Deno.readTextFileSync(auth.certPath);
    if (auth.intermediateCertsPath) {
      cert += "\n" + Deno.readTextFileSync(auth.intermediateCertsPath);
    }
    clientAuth = { cert, key: Deno.readTextFileSync(auth.keyPath) };
  }
  const versions = tlsVersionRange(tls.protocols);
  return {
    commonName: tls.commonName,
    caCerts: files.map((f) => Deno.readTextFileSync(f)),
    disableValidation: tls.disableValidation ?? false,
    ...(clientAuth ? { clientAuth } : {}),
    ...(versions ? { versions } : {}),
  };
}

/**
 * A dialer for `createH1Client({ dial })` that speaks TLS (presenting the client certificate of
 * `clientAuth`, when set).
 *
 * @example
 * ```ts ignore
 * const client = createH1Client({ dial: tlsDial({ commonName: "world.svc", caCerts: [ca], disableValidation: false }) });
 * ```
 */
export function tlsDial(tls: ClientTls): Dial {
  // `Deno.startTls` takes neither a client certificate nor a version range: node:tls does both.
  if (tls.clientAuth || tls.versions) {
    return mutualTlsDial({
      commonName: tls.commonName,
      caCerts: tls.caCerts,
      disableValidation: tls.disableValidation,
      ...(tls.clientAuth ?? {}),
      ...(tls.versions ? { versions: tls.versions } : {}),
    });
  }
  const viaOpenssl = mutualTlsDial({
    commonName: tls.commonName,
    caCerts: tls.caCerts,
    disableValidation: tls.disableValidation,
  });
  let openssl = false; // set once rustls refused this client's server certificate
  return async function dialTls(hostname, port, signal) {
    if (openssl) return await viaOpenssl(hostname, port, signal);
    const tcp = await Deno.connect({ hostname, port, signal });
    tcp.setNoDelay(true);
    let conn: Deno.TlsConn | undefined;
    try {
      conn = await Deno.startTls(tcp, {
        hostname: tls.commonName ?? hostname,
        caCerts: [...tls.caCerts],
        alpnProtocols: ["http/1.1"],
        ...(tls.disableValidation ? { unsafelyDisableHostnameVerification: true } : {}),
      });
      await conn.handshake();
    } catch (e: unknown) {
      try {
        (conn ?? tcp).close(); // startTls took over the TCP resource once it resolved
      } catch {
        // already closed
      }
      // rustls always checks the chain; `disableValidation` trusts any certificate (Finagle's
      // TrustCredentials.Insecure), so one rustls refuses is taken through node:tls.
      if (!(tls.disableValidation ? UNTRUSTED : RUSTLS_ONLY).test(String(e))) throw e;
      const c = await viaOpenssl(hostname, port, signal);
      openssl = true;
      return c;
    }
    return conn;
  };
}

/** rustls verification errors for certificates JSSE (and OpenSSL) accept. */
const RUSTLS_ONLY = /UnsupportedCertVersion|NotValidForName/;
/** Any rustls refusal of the server's certificate (`invalid peer certificate: UnknownIssuer`). */
const UNTRUSTED = /invalid peer certificate/;
