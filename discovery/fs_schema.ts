/**
 * The zod schema of the `io.l5d.fs` namer's own keys, for validating a raw namer entry
 * (`namer_registry_schema.ts`). Kept out of `fs.ts` so the serving process, which gets configs
 * already validated, never loads zod (issue 6).
 *
 * @module
 */
import { z } from "zod";

/** The kind-specific config keys. */
export const fsNamerConfig = z.object({ rootDir: z.string().min(1) });

/** The kind-specific config of `io.l5d.fs`. */
export type FsNamerConfig = z.infer<typeof fsNamerConfig>;
