/**
 * HTTP/1.1 identifiers (`routers[].identifier`, one object or a list tried in order; default
 * `io.l5d.header.token` on `Host`) with Linkerd's keys and defaults (L1
 * `linkerd/docs/protocol-http.md` "HTTP/1.1 Identifiers"; REF `linkerd1.md` §2):
 *
 * | kind | keys (defaults) |
 * |---|---|
 * | `io.l5d.header.token` | `header` (`Host`) |
 * | `io.l5d.methodAndHost` | `httpUriInDst` (false) |
 * | `io.l5d.path` | `segments` (1), `consume` (false) |
 * | `io.l5d.header` | `header` (`l5d-name`) |
 * | `io.l5d.static` | `path` (required) |
 * | `io.l5d.ingress` | `namespace` (all), `host`/`port` (k8s API, `localhost:8001` or the service account), `useServiceAccount`, `ingressClassAnnotation` (`linkerd`), `ignoreDefaultBackends` (false), `apiVersion` (`auto`: `networking.k8s.io/v1`, else `extensions/v1beta1`) |
 * | `switchyard.routes` | `routes`, or `routesFile` (a YAML file of routes; see `routes_schema.ts`) |
 *
 * h2 routers (`h2IdentifierListSchema`, L1 `protocol-h2.md`) default to `io.l5d.header.token` on
 * `:authority` and add `io.l5d.header.path` (`header` `:path`, `segments` optional).
 *
 * The parsed config always holds a non-empty list.
 *
 * @example
 * ```ts
 * import { identifierListSchema } from "./identifier_schema.ts";
 * console.log(identifierListSchema.parse({ kind: "io.l5d.path" })); // [{ kind: "io.l5d.path", segments: 1, consume: false }]
 * ```
 *
 * @module
 */
import { z } from "zod";
import { defaults } from "./defaults.ts";
import { pathString } from "./common_schema.ts";
import { pluginUnion } from "./plugin.ts";
import { asList, routesIdentifierSchema } from "./routes_schema.ts";

const d = defaults.identifier;
const headerName = z.string().min(1);

const methodAndHost = z.strictObject({
  kind: z.literal("io.l5d.methodAndHost"),
  httpUriInDst: z.boolean().default(d.httpUriInDst),
});
/** `io.l5d.header.token` with its protocol's default header (`Host`; h2: `:authority`). */
function headerToken(defaultHeader: string) {
  return z.strictObject({
    kind: z.literal("io.l5d.header.token"),
    header: headerName.default(defaultHeader),
  });
}
const pathIdentifier = z.strictObject({
  kind: z.literal("io.l5d.path"),
  segments: z.number().int().min(1).default(d.pathSegments),
  consume: z.boolean().default(d.pathConsume),
});
const headerIdentifier = z.strictObject({
  kind: z.literal("io.l5d.header"),
  header: headerName.default(d.header),
});
const staticIdentifier = z.strictObject({
  kind: z.literal("io.l5d.static"),
  /** Appended to `dstPrefix`. */
  path: pathString,
});
const ingressIdentifier = z.strictObject({
  kind: z.literal("io.l5d.ingress"),
  /** Watch one namespace; absent = every namespace. */
  namespace: z.string().min(1).optional(),
  /** The k8s API (as the `io.l5d.k8s` namer): absent = `localhost:8001`, or in a pod the service account. */
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  useServiceAccount: z.boolean().optional(),
  ingressClassAnnotation: z.string().min(1).default("linkerd"),
  ignoreDefaultBackends: z.boolean().default(false),
  /** Switchyard: which Ingress API to watch (Linkerd 1.x: `extensions/v1beta1` only). */
  apiVersion: z.enum(["auto", "networking.k8s.io/v1", "extensions/v1beta1"]).default("auto"),
});

/** The identifiers http and h2 routers share: they read only the URL and headers. */
const sharedIdentifiers = [
  methodAndHost,
  pathIdentifier,
  headerIdentifier,
  staticIdentifier,
  ingressIdentifier,
  routesIdentifierSchema,
] as const;

/** One identifier config. */
export const identifierSchema = pluginUnion("identifier", [
  headerToken(d.headerToken),
  ...sharedIdentifiers,
]);

/** `io.l5d.header.path` (h2): a path from a header, by default `:path`; `segments` optional. */
const headerPathIdentifier = z.strictObject({
  kind: z.literal("io.l5d.header.path"),
  header: headerName.default(":path"),
  segments: z.number().int().min(1).optional(),
});

/**
 * The identifiers of an h2 router (L1 `protocol-h2.md`): `io.l5d.header.token` on `:authority`
 * by default, `io.l5d.header.path`, `io.l5d.ingress`, and the http ones that read only the URL
 * and headers.
 */
export const h2IdentifierSchema = pluginUnion("identifier", [
  headerToken(":authority"),
  headerPathIdentifier,
  ...sharedIdentifiers,
]);

/** An h2 router's `identifier`: one object or a list; default `io.l5d.header.token`. */
export const h2IdentifierListSchema = z.preprocess(
  asList,
  z.array(h2IdentifierSchema).min(1, { error: "at least one identifier is required" }),
).prefault([{ kind: "io.l5d.header.token" }]);

/** `identifier`: one object or a list; parsed to a non-empty list. */
export const identifierListSchema = z.preprocess(
  asList,
  z.array(identifierSchema).min(1, { error: "at least one identifier is required" }),
).prefault([{ kind: "io.l5d.header.token" }]);

/** One identifier. */
export type IdentifierConfig =
  | z.infer<typeof identifierSchema>
  | z.infer<typeof h2IdentifierSchema>;
