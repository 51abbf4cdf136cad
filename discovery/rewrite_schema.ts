/**
 * The zod schema of the `io.l5d.rewrite` namer's own keys, for validating a raw namer entry
 * (`namer_registry_schema.ts`). Kept out of `rewrite.ts` so the serving process, which gets
 * configs already validated, never loads zod (issue 6).
 *
 * @module
 */
import { z } from "zod";

/** The kind-specific config keys. */
export const rewriteNamerConfig = z.object({
  pattern: z.string().startsWith("/"),
  name: z.string().startsWith("/"),
});

/** Options of `createRewriteNamer` (the parsed config slice). */
export type RewriteNamerOptions = z.infer<typeof rewriteNamerConfig>;
