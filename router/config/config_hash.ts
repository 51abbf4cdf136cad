/**
 * A stable content hash of a config's text, used as the config version by hot reload (issue 5):
 * the same bytes give the same version, any edit gives a new one.
 *
 * @example
 * ```ts
 * import { configHash } from "./config_hash.ts";
 * console.log(await configHash("routers: []\n")); // 64 hex characters
 * ```
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * SHA-256 of the UTF-8 text, as lowercase hex.
 *
 * @param text The config text exactly as read.
 * @returns 64 hex characters.
 * @example
 * ```ts
 * import { configHash } from "./config_hash.ts";
 * const v = await configHash("");
 * // "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
 * ```
 */
export async function configHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
