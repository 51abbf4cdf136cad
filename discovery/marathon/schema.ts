/**
 * The zod schema of the `io.l5d.marathon` namer's own keys, for validating a raw namer entry
 * (`../namer_registry_schema.ts`), and the owner of its `dst` and `tls.disableValidation` checks,
 * which the config loader (`router/config/namer_schema.ts`) uses too, so a bad value is reported
 * at its line:column; `factory.ts` trusts them. Kept out of `factory.ts` so the serving process,
 * which gets configs already validated, never loads zod (issue 6).
 *
 * @module
 */
import { z } from "zod";

const file = z.string().min(1);

const INET = /^\/\$\/inet\/[^/]+\/(\d{1,5})\/?$/;

/**
 * `dst`: the API's address as a path. Only `/$/inet/<host>/<port>` is supported (Linkerd binds
 * any path, e.g. a ZooKeeper leader).
 */
export const marathonDst = z.string().refine((d) => {
  const port = Number(INET.exec(d)?.[1] ?? 0);
  return port >= 1 && port <= 65535;
}, {
  error: (iss) =>
    `${iss.input} is not supported as the Marathon dst: only /$/inet/<host>/<port> is`,
});

/**
 * Refuse `tls.disableValidation: true` (the API's certificate is always verified), at that key.
 *
 * @param t A parsed `tls` block.
 * @param ctx The refinement context.
 */
export function refuseDisableValidation(
  t: { readonly disableValidation?: boolean | undefined },
  ctx: z.RefinementCtx,
): void {
  if (t.disableValidation !== true) return;
  ctx.addIssue({
    code: "custom",
    input: t.disableValidation,
    path: ["disableValidation"],
    message: "not supported for io.l5d.marathon: the API certificate is always verified " +
      "(give its CA in trustCertsBundle)",
  });
}

/** The kind-specific config keys (defaults in `factory.ts`). */
export const marathonNamerConfig = z.object({
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  dst: marathonDst.optional(),
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
  }).superRefine(refuseDisableValidation).optional(),
});
