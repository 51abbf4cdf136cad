/**
 * Dtab syntax errors as text for people: the reason without Finagle's trailing
 * `(offset N, line L, column C)`, a short excerpt of the line with the offending character in
 * brackets, and a dtab file's own `path:line:column`. No dependencies (the serving graph uses
 * it for an `io.l5d.fs` interpreter's `dtabFile`).
 *
 * @module
 */

const OFFSET_RE = /\s*\(offset (\d+)(?:, line \d+, column \d+)?\)\s*$/;

/**
 * Split a {@linkcode BadDtab} message into its text and the offset it reports, if any.
 *
 * @param message The error message.
 * @returns The message without the trailing `(offset N, line L, column C)` and the offset.
 * @example
 * ```ts
 * import { splitDtabError } from "./error_text.ts";
 * console.log(splitDtabError("'/' expected but 'x' found at '[x]' (offset 0, line 1, column 1)"));
 * ```
 */
export function splitDtabError(message: string): { text: string; offset?: number } {
  const m = OFFSET_RE.exec(message);
  if (!m) return { text: message };
  return { text: message.slice(0, m.index), offset: Number(m[1]) };
}

/**
 * A short excerpt of the dtab line around `offset`, with the character there in brackets
 * (`/x => /y & [;]`), in place of Finagle's copy of the whole dtab.
 *
 * @param dtab The dtab text.
 * @param offset The error offset.
 * @returns The excerpt.
 * @example
 * ```ts
 * import { dtabExcerpt } from "./error_text.ts";
 * dtabExcerpt("/a => /b;\n/x => ;", 15); // "/x => [;]"
 * ```
 */
export function dtabExcerpt(dtab: string, offset: number): string {
  const lineStart = dtab.lastIndexOf("\n", offset - 1) + 1;
  const nl = dtab.indexOf("\n", offset);
  const lineEnd = nl < 0 ? dtab.length : nl;
  const from = Math.max(lineStart, offset - 40);
  const to = Math.min(lineEnd, offset + 20);
  const ch = offset < lineEnd ? dtab[offset] : "";
  return (from > lineStart ? "…" : "") + dtab.slice(from, offset) + `[${ch}]` +
    dtab.slice(Math.min(offset + 1, lineEnd), to) + (to < lineEnd ? "…" : "");
}

/**
 * The message for a dtab file that does not parse (an `io.l5d.fs` interpreter's `dtabFile`):
 * the file's own `path:line:column`, the reason, and the excerpt around the error.
 *
 * @param file The dtab file's path.
 * @param text Its text.
 * @param e What `parseDtab` threw.
 * @returns e.g. `dtab.txt:2:9: name expected but '=' found: /svc => [=]> /x;`
 * @example
 * ```ts
 * import { dtabFileError } from "./error_text.ts";
 * dtabFileError("d.dtab", "/a => ;", new Error("name expected (offset 6, line 1, column 7)"));
 * // "d.dtab:1:7: name expected: /a => [;]"
 * ```
 */
export function dtabFileError(file: string, text: string, e: unknown): string {
  const { text: why, offset } = splitDtabError(e instanceof Error ? e.message : String(e));
  const reason = why.split("\n")[0]!.replace(/ at '.*$/, "");
  if (offset === undefined) return `${file}: ${reason}`;
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const line = text.slice(0, lineStart).split("\n").length;
  return `${file}:${line}:${offset - lineStart + 1}: ${reason}: ${dtabExcerpt(text, offset)}`;
}
