/**
 * Dtab strings in config (`routers[].dtab`) are parsed while loading, with the Finagle grammar of
 * `router/dtab`, so a bad dtab is a load error that points into the YAML file. The issue carries
 * the offset inside the string as `params.dtabOffset`; `load.ts` maps it to a file line:column.
 *
 * @example
 * ```ts
 * import { dtabSchema } from "./dtab_text.ts";
 * console.log(dtabSchema.safeParse("/svc => /#/io.l5d.fs;").success); // true
 * ```
 *
 * @module
 */
import { z } from "zod";
import { parseDtab } from "../dtab/mod.ts";
import { BadDtab } from "../core/errors.ts";
import { dtabExcerpt, splitDtabError } from "../dtab/error_text.ts";

/** The `params` key holding the offset of a dtab syntax error within the dtab string. */
export const DTAB_OFFSET = "dtabOffset";

/** A dtab string: must parse; empty means the empty dtab. */
export const dtabSchema = z.string().check((ctx) => {
  try {
    parseDtab(ctx.value);
  } catch (e: unknown) {
    if (!(e instanceof BadDtab)) throw e;
    const { text, offset } = splitDtabError(e.message);
    const short = offset === undefined
      ? text
      : `${text.replace(/ at '[\s\S]*'$/, "")} in "${dtabExcerpt(ctx.value, offset)}"`;
    ctx.issues.push({
      code: "custom",
      input: ctx.value,
      message: `bad dtab: ${short}`,
      params: offset === undefined ? {} : { [DTAB_OFFSET]: offset },
    });
  }
});
