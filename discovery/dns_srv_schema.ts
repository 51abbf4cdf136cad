/**
 * The zod schema of the `io.l5d.dnssrv` namer's own keys, for validating a raw namer entry
 * (`namer_registry_schema.ts`). Kept out of `dns_srv.ts` so the serving process, which gets
 * configs already validated, never loads zod (issue 6).
 *
 * @module
 */
import { z } from "zod";

/** The kind-specific config keys. */
export const dnsSrvNamerConfig = z.object({
  refreshIntervalSeconds: z.number().int().min(1).optional(),
  domain: z.string().min(1).optional(),
  dnsHosts: z.array(z.string().min(1)).optional(),
});

/** The kind-specific config of `io.l5d.dnssrv`. */
export type DnsSrvNamerConfig = z.infer<typeof dnsSrvNamerConfig>;
