/**
 * Top-level `admin`: the admin server (default `127.0.0.1:9990`, loopback only), its optional
 * TLS, `shutdownGraceMs` (10000), `httpIdentifierPort` (Linkerd's identifier debug listener) and
 * `security` (`uiEnabled`, `controlEnabled`, `diagnosticsEnabled` all true; `pathWhitelist` /
 * `pathBlacklist` regexes). `workerThreads` is accepted for compatibility (a JVM knob; no effect),
 * and so is `socketOptions` (Linkerd's "Socket Options", validated as on router servers, where
 * they are not applied either).
 * L1 `linkerd/docs/config.md` "Administrative interface"; REF `linkerd1.md` §6.
 *
 * @example
 * ```ts
 * import { adminSchema } from "./admin_schema.ts";
 * console.log(adminSchema.parse(undefined)); // { ip: "127.0.0.1", port: 9990, shutdownGraceMs: 10000 }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { defaults } from "./defaults.ts";
import { host, port, socketOptionsSchema, timeoutMs } from "./common_schema.ts";
import { serverTlsOption } from "./tls_schema.ts";

const regex = z.string().superRefine((s, ctx) => {
  try {
    new RegExp(s);
  } catch (e: unknown) {
    ctx.addIssue({
      code: "custom",
      input: s,
      message: `not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
});

/** `admin.security`. */
export const adminSecuritySchema = z.strictObject({
  uiEnabled: z.boolean().default(true),
  controlEnabled: z.boolean().default(true),
  diagnosticsEnabled: z.boolean().default(true),
  pathWhitelist: z.array(regex).optional(),
  pathBlacklist: z.array(regex).optional(),
});

/** `admin`. */
export const adminSchema = z.strictObject({
  ip: host.default(defaults.admin.ip),
  port: port.default(defaults.admin.port),
  tls: serverTlsOption,
  shutdownGraceMs: timeoutMs.default(defaults.admin.shutdownGraceMs),
  httpIdentifierPort: port.optional(),
  /** L1 config.md: "Socket options to set for the admin interface". Accepted, not applied. */
  socketOptions: socketOptionsSchema.optional(),
  security: adminSecuritySchema.optional(),
  /** JVM thread pool size in Linkerd; accepted and ignored. */
  workerThreads: z.number().int().min(1).optional(),
}).prefault({});

/** The admin server config. */
export type AdminConfig = z.infer<typeof adminSchema>;
