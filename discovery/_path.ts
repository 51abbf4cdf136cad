/**
 * Folder-private path helpers: show, read, compare. A stand-in until `router/dtab/path.ts`
 * (written concurrently) lands; switch the imports then. Finagle Path syntax (FIN `Path.scala`):
 * labels are `[0-9A-Za-z_:.#$%-]`, any other byte is written `\xHH`.
 *
 * @module
 */
import type { Path } from "../router/dtab/types.ts";

const LABEL_CHAR = /^[0-9A-Za-z_:.#$%-]$/;
const encoder = new TextEncoder();

/** One label in path syntax: characters outside the label set become `\xHH` (UTF-8 bytes). */
export function showLabel(label: string): string {
  let out = "";
  for (const ch of label) {
    if (LABEL_CHAR.test(ch)) {
      out += ch;
    } else {
      for (const b of encoder.encode(ch)) out += "\\x" + b.toString(16).padStart(2, "0");
    }
  }
  return out;
}

/** `["#", "io.l5d.fs", "hello"]` → `/#/io.l5d.fs/hello`; the empty path → `/`. */
export function showPath(path: Path): string {
  if (path.length === 0) return "/";
  let out = "";
  for (const label of path) out += "/" + showLabel(label);
  return out;
}

/**
 * Parse `/a/b` (with `\xHH` escapes) into labels; `/` is the empty path.
 * Returns an error message instead of throwing.
 */
export function readPath(text: string): Path | { readonly error: string } {
  const s = text.trim();
  if (s === "/") return [];
  if (!s.startsWith("/")) return { error: `path must start with '/': ${text}` };
  const labels: string[] = [];
  for (const raw of s.slice(1).split("/")) {
    if (raw === "") return { error: `empty label in path: ${text}` };
    const bytes: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      const ch = raw[i] as string;
      if (ch === "\\") {
        const m = /^\\x([0-9A-Fa-f]{2})/.exec(raw.slice(i));
        if (!m) return { error: `bad escape in path: ${text}` };
        bytes.push(parseInt(m[1] as string, 16));
        i += 3;
      } else if (LABEL_CHAR.test(ch)) {
        bytes.push(ch.charCodeAt(0));
      } else {
        return { error: `illegal character ${JSON.stringify(ch)} in path: ${text}` };
      }
    }
    labels.push(new TextDecoder().decode(new Uint8Array(bytes)));
  }
  return labels;
}

/** True when `path` begins with every label of `prefix`. */
export function pathStartsWith(path: Path, prefix: Path): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

/** Label-wise equality. */
export function pathEquals(a: Path, b: Path): boolean {
  return a.length === b.length && pathStartsWith(a, b);
}

/** An unambiguous Map key for a path (labels may contain any character once decoded). */
export function pathKey(path: Path): string {
  return JSON.stringify(path);
}
