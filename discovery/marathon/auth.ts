/**
 * Marathon API credentials from the environment, as Linkerd's `MarathonInitializer.scala`,
 * `Authenticator.scala` and `BasicAuthenticatorFilter.scala` (L1 `namer/marathon/`) read them:
 *
 * - `DCOS_SERVICE_ACCOUNT_CREDENTIAL`: a JSON object `{login_endpoint, private_key, scheme, uid}`
 *   (a DC/OS service account; `scheme` must be `RS256` and all four keys present). The namer
 *   logs in by POSTing `{"uid": <uid>, "token": <JWT>}` (the JWT is `{"uid": <uid>}` signed
 *   RS256 with the PKCS#8 PEM `private_key`) to the *path* of `login_endpoint` on the Marathon
 *   API it talks to, takes `token` from the JSON answer, and sends `Authorization:
 *   token=<token>`. A 401 on a request made with a token gets a new token and is sent once
 *   more (the token may have expired).
 * - `MARATHON_HTTP_AUTH_CREDENTIAL`: base64 `user:password`, sent as `Authorization: Basic
 *   <value>`. The DC/OS credential wins when both are set.
 *
 * @module
 */

/** A DC/OS service-account credential. */
export interface DcosCredential {
  readonly loginEndpoint: string;
  readonly privateKey: string;
  readonly uid: string;
}

/** How requests authenticate. */
export type MarathonAuth =
  | { readonly kind: "none" }
  | { readonly kind: "basic"; readonly token: string }
  | { readonly kind: "dcos"; readonly credential: DcosCredential };

/** The DC/OS credential's environment variable. */
export const DCOS_ENV = "DCOS_SERVICE_ACCOUNT_CREDENTIAL";
/** The basic-auth environment variable. */
export const BASIC_ENV = "MARATHON_HTTP_AUTH_CREDENTIAL";

/**
 * Read the credentials from the environment.
 *
 * @param env Environment lookup.
 * @returns The auth mode.
 * @throws {Error} When `DCOS_SERVICE_ACCOUNT_CREDENTIAL` is not JSON, lacks a key, has a
 *   `scheme` other than `RS256`, or a `login_endpoint` that is not a URL (Linkerd fails to
 *   start then too).
 * @example
 * ```ts
 * import { authFromEnv } from "./auth.ts";
 * authFromEnv((k) => k === "MARATHON_HTTP_AUTH_CREDENTIAL" ? "dXNlcjpwdw==" : undefined);
 * // { kind: "basic", token: "dXNlcjpwdw==" }
 * ```
 */
export function authFromEnv(env: (name: string) => string | undefined): MarathonAuth {
  const json = env(DCOS_ENV);
  if (json !== undefined) {
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(json);
    } catch (e: unknown) {
      throw new Error(`${DCOS_ENV} is not JSON: ${e instanceof Error ? e.message : e}`);
    }
    const { login_endpoint: login, private_key: key, scheme, uid } = v ?? {};
    if (
      typeof login !== "string" || typeof key !== "string" || scheme !== "RS256" ||
      typeof uid !== "string"
    ) {
      throw new Error(
        `${DCOS_ENV} needs login_endpoint, private_key, uid and scheme "RS256"`,
      );
    }
    if (!URL.canParse(login)) throw new Error(`${DCOS_ENV}: login_endpoint is not a URL`);
    return { kind: "dcos", credential: { loginEndpoint: login, privateKey: key, uid } };
  }
  const basic = env(BASIC_ENV);
  if (basic !== undefined) return { kind: "basic", token: basic };
  return { kind: "none" };
}

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function pemBody(pem: string): Uint8Array {
  const text = pem.replace(/-----(BEGIN|END)[^-]*-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/**
 * The login JWT: `{"uid": <uid>}` signed RS256 with a PKCS#8 PEM key.
 *
 * @param uid The service account.
 * @param privateKeyPem The PKCS#8 PEM private key.
 * @returns The compact JWT.
 * @throws {Error} When the key does not import.
 */
export async function loginJwt(uid: string, privateKeyPem: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "pkcs8",
    pemBody(privateKeyPem) as Uint8Array<ArrayBuffer>,
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const enc = new TextEncoder();
  const head = b64url(enc.encode(JSON.stringify({ typ: "JWT", alg: "RS256" })));
  const claim = b64url(enc.encode(JSON.stringify({ uid })));
  const sig = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, enc.encode(`${head}.${claim}`));
  return `${head}.${claim}.${b64url(new Uint8Array(sig))}`;
}
