/**
 * What a router answers for a Host, for tests that watch routing change (interpreters whose dtab
 * is edited live).
 *
 * @module
 */
import { assert } from "./assert.ts";
import type { Running } from "./switchyard.ts";
import { curl, eventually, startUpstream, type Upstream } from "./upstream.ts";

/** The upstream's name behind `host` on router `outgoing`, else `<status> <l5d-err>`. */
export async function nameOf(sy: Running, host: string): Promise<string> {
  const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy("outgoing")}/`]);
  if (r.status === 200) return JSON.parse(r.body).name;
  return `${r.status} ${decodeURIComponent((r.headers.get("l5d-err") ?? "").replace(/\+/g, " "))}`;
}

/** Waits (≤ 10 s) until `host` answers `want` (see {@linkcode nameOf}); fails the test if not. */
export async function answers(sy: Running, host: string, want: string): Promise<void> {
  const ok = await eventually(async () => (await nameOf(sy, host)) === want, 10_000);
  assert(ok, `${host} never answered ${JSON.stringify(want)}: ${await nameOf(sy, host)}`);
}

/** The dtab name of a loopback endpoint: `/$/inet/127.0.0.1/<port>`. */
export function inet(port: number): string {
  return `/$/inet/127.0.0.1/${port}`;
}

/** Three named upstreams (`a`, `b`, `pinned`) for a dtab to route between. */
export interface RoutedUpstreams {
  readonly a: Upstream;
  readonly b: Upstream;
  readonly pinned: Upstream;
  close(): Promise<void>;
}

/** Start {@linkcode RoutedUpstreams}. */
export function routedUpstreams(): RoutedUpstreams {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const pinned = startUpstream("pinned");
  return {
    a,
    b,
    pinned,
    close: async () => void await Promise.all([a.close(), b.close(), pinned.close()]),
  };
}
