/**
 * `service` and `client` keys that belong to the other protocol. Linkerd reads an http router's
 * blocks as `HttpSvcConfig` / `HttpClientConfig` and an h2 router's as `H2SvcConfig` /
 * `H2ClientConfig` (L1 `linkerd/protocol/http/.../HttpConfig.scala`,
 * `linkerd/protocol/h2/.../H2Config.scala`), so Jackson refuses, at startup:
 *
 * - an `io.l5d.h2.*` response classifier on an http router and an `io.l5d.http.*` one on an h2
 *   router (the h2 kinds are `H2ClassifierConfig`s, not `ResponseClassifierConfig`s: an invalid
 *   type id);
 * - the h2 service keys `classificationTimeoutMs` and `retryBufferSize`, and the h2 client keys
 *   (`windowUpdateRatio`, `headerTableBytes`, `initialStreamWindowBytes`, `maxFrameBytes`,
 *   `maxHeaderListBytes`), on an http router (unrecognized fields).
 *
 * The shared schema accepts both sets, so these are found on the document as written (a default
 * is never one of them), in the global block and in every `io.l5d.static` entry.
 *
 * @example
 * ```ts
 * import { protocolKeyIssues } from "./protocol_keys.ts";
 * const raw = { routers: [{ protocol: "http", service: { classificationTimeoutMs: 50 } }] };
 * protocolKeyIssues(raw)[0]?.message; // 'unknown key "classificationTimeoutMs" (an h2 router key)'
 * ```
 *
 * @module
 */
import { supportedKinds } from "./schema.ts";

/** One refused key or kind: where (`atKey`: the key itself, else its value) and why. */
export interface ProtocolKeyIssue {
  readonly path: (string | number)[];
  readonly message: string;
  readonly atKey: boolean;
}

const H2_SERVICE_KEYS = ["classificationTimeoutMs", "retryBufferSize"];
const H2_CLIENT_KEYS = [
  "windowUpdateRatio",
  "headerTableBytes",
  "initialStreamWindowBytes",
  "maxFrameBytes",
  "maxHeaderListByts",
  "maxHeaderListBytes",
];

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The global block itself, or each entry of an `io.l5d.static` block, with its path. */
function entries(block: unknown, at: (string | number)[]): [Obj, (string | number)[]][] {
  if (!isObj(block)) return [];
  if (block.kind === "io.l5d.static") {
    const configs = block.configs;
    if (!Array.isArray(configs)) return [];
    return configs.flatMap((c, k) => isObj(c) ? [[c, [...at, "configs", k]]] : []);
  }
  return block.kind === undefined || block.kind === "io.l5d.global" ? [[block, at]] : [];
}

/**
 * The keys and classifier kinds of the other protocol in each router's `service` and `client`.
 *
 * @param raw The config document as read (before defaults).
 * @returns One issue per refused key or kind.
 */
export function protocolKeyIssues(raw: unknown): ProtocolKeyIssue[] {
  if (!isObj(raw) || !Array.isArray(raw.routers)) return [];
  const out: ProtocolKeyIssue[] = [];
  const kinds = supportedKinds.responseClassifier;
  raw.routers.forEach((r: unknown, i) => {
    if (!isObj(r) || (r.protocol !== "http" && r.protocol !== "h2")) return;
    const http = r.protocol === "http";
    const foreign = http ? "io.l5d.h2." : "io.l5d.http.";
    const own = kinds.filter((k) => !k.startsWith(foreign));
    for (const [svc, at] of entries(r.service, ["routers", i, "service"])) {
      const c = svc.responseClassifier;
      if (isObj(c) && typeof c.kind === "string" && kinds.includes(c.kind)) {
        if (c.kind.startsWith(foreign)) {
          out.push({
            path: [...at, "responseClassifier", "kind"],
            atKey: false,
            message: `${c.kind} is an ${http ? "h2" : "http"} router's classifier; ` +
              `${r.protocol} routers take ${own.join(", ")}`,
          });
        }
      }
      if (!http) continue;
      for (const k of H2_SERVICE_KEYS) {
        if (svc[k] !== undefined) out.push(unknownKey([...at, k]));
      }
    }
    if (!http) return;
    for (const [client, at] of entries(r.client, ["routers", i, "client"])) {
      for (const k of H2_CLIENT_KEYS) {
        if (client[k] !== undefined) out.push(unknownKey([...at, k]));
      }
    }
  });
  return out;
}

function unknownKey(path: (string | number)[]): ProtocolKeyIssue {
  return { path, atKey: true, message: `unknown key "${path.at(-1)}" (an h2 router key)` };
}
