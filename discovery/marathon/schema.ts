/**
 * The zod schema of the `io.l5d.marathon` namer's own keys, for validating a raw namer entry
 * (`../namer_registry_schema.ts`). Kept out of `factory.ts` so the serving process, which gets
 * configs already validated, never loads zod (issue 6).
 *
 * @module
 */
import { z } from "zod";

const file = z.string().min(1);

/** The kind-specific config keys (defaults in `factory.ts`). */
export const marathonNamerConfig = z.object({
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  dst: z.string().startsWith("/").optional(),
  uriPrefix: z.string().optional(),
  ttlMs: z.number().int().min(0).optional(),
  jitterMs: z.number().int().min(0).optional(),
  useHealthCheck: z.boolean().optional(),
  tls: z.strictObject({
    enabled: z.boolean().optional(),
    disableValidation: z.boolean().optional(),
    commonName: z.string().min(1).optional(),
    trustCertsBundle: file.optional(),
    trustCerts: z.array(file).optional(),
    caCertPath: file.optional(),
    clientAuth: z.unknown().optional(),
    protocols: z.array(z.string().min(1)).optional(),
  }).optional(),
});
