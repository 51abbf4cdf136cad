/**
 * Test certificates made by openssl: a CA and leaf certificates it signs.
 *
 * @module
 */

async function sh(cmd: string, cwd: string): Promise<void> {
  const out = await new Deno.Command("bash", { args: ["-c", cmd], cwd, stderr: "piped" }).output();
  if (out.code !== 0) throw new Error(`${cmd}: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * Write `ca.pem`/`ca.key` and, for each leaf, `<name>.pem`/`<name>.key` signed by that CA with
 * the given subjectAltName (e.g. `DNS:world.svc`, `IP:127.0.0.1`) into `dir`.
 */
export async function makeCerts(dir: string, leaves: Record<string, string>): Promise<void> {
  await sh(
    "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca 2>/dev/null",
    dir,
  );
  for (const [name, san] of Object.entries(leaves)) {
    await sh(
      `openssl req -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.csr -subj /CN=${name} 2>/dev/null && ` +
        `printf 'subjectAltName=${san}' > ${name}.ext && ` +
        `openssl x509 -req -in ${name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ${name}.pem -days 2 -extfile ${name}.ext 2>/dev/null`,
      dir,
    );
  }
}

/** A running TLS upstream (node:https) on 127.0.0.1. */
export interface TlsUpstream {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * An HTTPS upstream that requires a client certificate verifying against `ca` and answers
 * `{"peer": <the client certificate's CN>}` as JSON; a client without one fails the handshake.
 *
 * @param pem the server's certificate (chain), key and the CA its clients must chain to, as text
 */
export async function mutualTlsUpstream(
  pem: { cert: string; key: string; ca: string },
): Promise<TlsUpstream> {
  const https = await import("node:https");
  const server = https.createServer({ ...pem, requestCert: true, rejectUnauthorized: true }, (
    req,
    res,
  ) => {
    const peer = (req.socket as import("node:tls").TLSSocket).getPeerCertificate();
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ peer: peer?.subject?.CN ?? null }));
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
