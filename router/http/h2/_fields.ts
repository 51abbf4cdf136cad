/**
 * Header fields HTTP/2 does not carry (RFC 9113 §8.2.2: connection-specific fields). Shared by
 * the h2 server (responses it writes) and the h2c front (an upgraded request's fields).
 * Folder-private.
 *
 * @module
 */

/** Connection-specific fields, lower-case. */
export const CONNECTION_FIELDS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);
