/**
 * TLS blocks: `servers[].tls` and `admin.tls` (server side) and `client.tls` (client side), with
 * Linkerd 1.x keys (L1 `linkerd/docs/client_tls.md`, `routers.md` "Server TLS"; REF `linkerd1.md`
 * §7). Keys are PEM file paths; Linkerd needs PKCS#8 keys, Switchyard (Deno) reads PKCS#1 and
 * PKCS#8. `commonName` may use `{captures}` from an `io.l5d.static` client prefix and is also sent
 * as SNI. The legacy `kind`s `io.l5d.noValidation` / `io.l5d.static` / `io.l5d.boundPath` (with
 * `caCertPath`, `names`, `strict`) are accepted as aliases of the modern keys.
 *
 * @example
 * ```ts
 * import { serverTlsSchema } from "./tls_schema.ts";
 * console.log(serverTlsSchema.parse({ certPath: "c.pem", keyPath: "k.pem" }).requireClientAuth); // false
 * ```
 *
 * @module
 */
import { z } from "zod";

const file = z.string().min(1);

/**
 * `servers[].tls` and `admin.tls`. `enabled` (default true) is in client_tls.md's "Server TLS"
 * table (Linkerd's TlsServerConfig has no such field): `false` serves plain HTTP, see
 * {@linkcode serverTlsOption}.
 */
export const serverTlsSchema = z.strictObject({
  enabled: z.boolean().optional(),
  certPath: file,
  keyPath: file,
  /** CA used to verify client certificates. */
  caCertPath: file.optional(),
  requireClientAuth: z.boolean().default(false),
  intermediateCertsPath: file.optional(),
  /** e.g. `[TLSv1.2, TLSv1.3]`; runtime default when absent. */
  protocols: z.array(z.string().min(1)).optional(),
  ciphers: z.array(z.string().min(1)).optional(),
});

/** An optional server `tls` block; one with `enabled: false` is dropped (a plain listener). */
export const serverTlsOption = serverTlsSchema.optional().transform((tls) =>
  tls?.enabled === false ? undefined : tls
).optional();

/** `client.tls.clientAuth` (mTLS client certificate). */
export const clientAuthSchema = z.strictObject({
  certPath: file,
  keyPath: file,
  intermediateCertsPath: file.optional(),
});

/** `client.tls` (one block; replaced as a whole by a later matching static prefix). */
export const clientTlsSchema = z.strictObject({
  /** `false` turns TLS off for clients matching this prefix. */
  enabled: z.boolean().default(true),
  disableValidation: z.boolean().default(false),
  /** Expected server name and SNI; may contain `{captures}`. */
  commonName: z.string().min(1).optional(),
  trustCertsBundle: file.optional(),
  /** Deprecated in Linkerd in favour of `trustCertsBundle`. */
  trustCerts: z.array(file).optional(),
  clientAuth: clientAuthSchema.optional(),
  protocols: z.array(z.string().min(1)).optional(),
  /** Legacy (Linkerd < 1.0) TLS kinds, accepted as aliases. */
  kind: z.enum(["io.l5d.static", "io.l5d.noValidation", "io.l5d.boundPath"]).optional(),
  /** Legacy alias of `trustCertsBundle`. */
  caCertPath: file.optional(),
  /** Legacy `io.l5d.boundPath` name → commonName patterns. */
  names: z.array(z.strictObject({ prefix: z.string().min(1), commonNamePattern: z.string() }))
    .optional(),
  strict: z.boolean().optional(),
}).superRefine((tls, ctx) => {
  const noValidation = tls.disableValidation || tls.kind === "io.l5d.noValidation";
  if (noValidation && tls.clientAuth) {
    ctx.addIssue({
      code: "custom",
      input: tls,
      path: ["clientAuth"],
      message: "disableValidation: true is incompatible with clientAuth",
    });
  }
  // Finagle-buoyant's TlsClientConfig.params refuses both trust settings with a common name
  // (a disableValidation block trusts anything, so it never reads them).
  if (!noValidation && tls.trustCerts !== undefined && tls.trustCertsBundle !== undefined) {
    ctx.addIssue({
      code: "custom",
      input: tls,
      path: ["trustCerts"],
      message:
        "Both trustCerts and trustCertsBundle have been set. Please use only trustCertsBundle.",
    });
  }
  const needsName = tls.enabled && !noValidation && tls.kind !== "io.l5d.boundPath";
  if (needsName && tls.commonName === undefined) {
    ctx.addIssue({
      code: "custom",
      input: tls,
      path: ["commonName"],
      message: "commonName is required unless disableValidation: true or enabled: false",
    });
  }
}).transform((tls) =>
  // the legacy `io.l5d.noValidation` kind is what `disableValidation: true` says now
  tls.kind === "io.l5d.noValidation" ? { ...tls, disableValidation: true } : tls
);

/** Server TLS settings. */
export type ServerTlsConfig = z.infer<typeof serverTlsSchema>;
/** Client TLS settings. */
export type ClientTlsConfig = z.infer<typeof clientTlsSchema>;
