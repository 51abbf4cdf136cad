/**
 * Builders for plugin slots: a `kind`-discriminated union whose "no such kind" error names the
 * value and says whether it is unsupported (a known Linkerd kind, see `kinds.ts`) or unknown.
 * `router/config/schema.ts` composes these; each area's schema file supplies the options.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { pluginUnion } from "./plugin.ts";
 * const namer = pluginUnion("namer", [
 *   z.strictObject({ kind: z.literal("io.l5d.fs"), rootDir: z.string() }),
 * ]);
 * console.log(namer.safeParse({ kind: "io.l5d.k8s" }).error?.issues[0]?.message);
 * ```
 *
 * @module
 */
import { z } from "zod";
import { kindMessage, type PluginArea } from "./kinds.ts";

/** An object schema whose `kind` (or other discriminator) is a literal. */
type KindOption = z.core.$ZodTypeDiscriminable;

function describeInput(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  return typeof input === "object" ? "an object" : `${typeof input} ${JSON.stringify(input)}`;
}

/**
 * A union of plugin configs discriminated by `kind`, with Switchyard's error messages.
 *
 * @param area The plugin area, used in messages and to look up unsupported kinds.
 * @param options One strict object schema per supported kind.
 * @param discriminator The key that picks the option (`kind`; routers use `protocol`).
 * @returns A zod schema whose output is the union of the options' outputs.
 * @example
 * ```ts
 * import { z } from "zod";
 * import { pluginUnion } from "./plugin.ts";
 * const lb = pluginUnion("loadBalancer", [z.strictObject({ kind: z.literal("heap") })]);
 * console.log(lb.parse({ kind: "heap" }));
 * ```
 */
export function pluginUnion<
  const T extends readonly [KindOption, ...KindOption[]],
  D extends string = "kind",
>(
  area: PluginArea,
  options: T,
  discriminator: D = "kind" as D,
): z.ZodDiscriminatedUnion<T, D> {
  return z.discriminatedUnion(discriminator, options, {
    error: (iss) => {
      if (iss.code === "invalid_union") {
        const input = iss.input;
        const value = input !== null && typeof input === "object"
          ? (input as Record<string, unknown>)[discriminator]
          : undefined;
        const supported = (iss as { options?: unknown[] }).options?.map(String) ?? [];
        return kindMessage(area, value, supported);
      }
      if (iss.code === "invalid_type") {
        return `expected an object with a ${discriminator}, got ${describeInput(iss.input)}`;
      }
      return undefined;
    },
  });
}

/**
 * A plugin slot where no kind is supported yet (transformers, announcers): every entry is
 * rejected at `<path>.kind` with the unsupported/unknown message. Its output type is `never`, so
 * a parsed list of them is always empty.
 *
 * @param area The plugin area.
 * @returns A schema that fails for every input.
 * @example
 * ```ts
 * import { noPluginSupported } from "./plugin.ts";
 * const t = noPluginSupported("transformer");
 * console.log(t.safeParse({ kind: "io.l5d.port" }).error?.issues[0]?.message);
 * ```
 */
export function noPluginSupported(area: PluginArea): z.ZodType<never, unknown> {
  return z.unknown().superRefine((input, ctx) => {
    const isObject = input !== null && typeof input === "object" && !Array.isArray(input);
    if (!isObject) {
      ctx.addIssue({
        code: "custom",
        input,
        message: `expected an object with a kind, got ${describeInput(input)}`,
      });
      return;
    }
    const kind = (input as Record<string, unknown>).kind;
    ctx.addIssue({
      code: "custom",
      input,
      path: kind === undefined ? [] : ["kind"],
      message: kindMessage(area, kind, []),
    });
  }).pipe(z.never());
}

/**
 * A strict object schema with only a literal `kind` (plugins without params).
 *
 * @param kind The kind.
 * @returns `z.strictObject({ kind: z.literal(kind) })`.
 * @example
 * ```ts
 * import { kindOnly } from "./plugin.ts";
 * console.log(kindOnly("heap").parse({ kind: "heap" }));
 * ```
 */
export function kindOnly<const K extends string>(
  kind: K,
): z.ZodObject<{ kind: z.ZodLiteral<K> }, z.core.$strict> {
  return z.strictObject({ kind: z.literal(kind) });
}

/**
 * A preprocessor that fills in `kind` on an object that has none (Linkerd's `defaultImpl`, e.g.
 * `service`/`client` blocks default to `io.l5d.global`, interpreters to `default`).
 *
 * @param kind The kind to assume.
 * @returns A function for `z.preprocess`.
 * @example
 * ```ts
 * import { defaultKind } from "./plugin.ts";
 * console.log(defaultKind("io.l5d.global")({ totalTimeoutMs: 5 }));
 * ```
 */
export function defaultKind(kind: string): (v: unknown) => unknown {
  return (v) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && !("kind" in v) ? { ...v, kind } : v;
}
