/**
 * The zod schemas of the `io.l5d.k8s` and `io.l5d.k8s.ns` namers' own keys, for validating a
 * raw namer entry (`../namer_registry_schema.ts`). Kept out of `namer_factories.ts` so the
 * serving process, which gets configs already validated, never loads zod (issue 6).
 *
 * @module
 */
import { z } from "zod";

/** `io.l5d.k8s` keys. */
export const k8sNamerConfig = z.object({
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  labelSelector: z.string().min(1).optional(),
  useServiceAccount: z.boolean().optional(),
});

/** `io.l5d.k8s.ns` keys. */
export const k8sNsNamerConfig = k8sNamerConfig.extend({ envVar: z.string().min(1).optional() });

/** A parsed `io.l5d.k8s` / `io.l5d.k8s.ns` config. */
export type K8sNamerConfig = z.infer<typeof k8sNsNamerConfig> & { readonly kind: string };
