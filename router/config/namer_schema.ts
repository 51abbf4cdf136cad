/**
 * Top-level `namers` (L1 `linkerd/docs/namer.md`; REF `linkerd1.md` §3). Each namer serves
 * `/#/<prefix>`; `prefix` defaults to `/<kind>`. Supported:
 *
 * | kind | keys (defaults) |
 * |---|---|
 * | `io.l5d.fs` | `rootDir` (required), `prefix` (`/io.l5d.fs`) |
 * | `io.l5d.rewrite` | `pattern`, `name` (required; `{var}` captures), `prefix` (`/io.l5d.rewrite`) |
 *
 * All take `experimental` and `transformers`; no transformer kind is supported yet, so any entry
 * there is rejected. Kubernetes, Consul, ZooKeeper, Marathon, DNS-SRV… namers are rejected as
 * unsupported (table in `kinds.ts`).
 *
 * @example
 * ```ts
 * import { namerSchema } from "./namer_schema.ts";
 * console.log(namerSchema.parse({ kind: "io.l5d.fs", rootDir: "disco" }).prefix); // "/io.l5d.fs"
 * ```
 *
 * @module
 */
import { z } from "zod";
import { defaults } from "./defaults.ts";
import { pathPattern, pathString } from "./common_schema.ts";
import { noPluginSupported, pluginUnion } from "./plugin.ts";

/** `transformers` on a namer or interpreter: none supported yet, so only `[]` parses. */
export const transformersSchema = z.array(noPluginSupported("transformer")).default([]);

const fsNamer = z.strictObject({
  kind: z.literal("io.l5d.fs"),
  prefix: pathString.default(defaults.namers.fsPrefix),
  /** Directory with one file per service (`host port [* weight]` lines); watched. */
  rootDir: z.string().min(1),
  experimental: z.boolean().optional(),
  transformers: transformersSchema,
});

const CAPTURE_RE = /\{([A-Za-z0-9.:_-]+)\}/g;

const rewriteNamer = z.strictObject({
  kind: z.literal("io.l5d.rewrite"),
  prefix: pathString.default(defaults.namers.rewritePrefix),
  /** Matched against the residual after `/#/<prefix>`; `*` and `{var}` segments. */
  pattern: pathPattern,
  /** The rewritten name; may use the pattern's `{var}`s. */
  name: z.string().startsWith("/", { error: "name must be a path starting with /" }),
  experimental: z.boolean().optional(),
  transformers: transformersSchema,
}).superRefine((n, ctx) => {
  const vars = new Set([...n.pattern.matchAll(CAPTURE_RE)].map((m) => m[1]));
  for (const m of n.name.matchAll(CAPTURE_RE)) {
    if (!vars.has(m[1])) {
      ctx.addIssue({
        code: "custom",
        input: n.name,
        path: ["name"],
        message: `{${m[1]}} is not captured by pattern ${n.pattern}`,
      });
    }
  }
});

/** One namer. */
export const namerSchema = pluginUnion("namer", [fsNamer, rewriteNamer]);

/** One namer config. */
export type NamerConfig = z.infer<typeof namerSchema>;
