/**
 * Compile Switchyard's top-level `services:` (issue 5) into ordinary dentries, so versions and
 * failover need no new runtime machinery and the delegator (`/delegator.json`, `switchyard
 * dtab`) shows exactly what they became.
 *
 * One service becomes one dentry:
 *
 * ```
 * name => w1 * v1 & w2 * v2 | failover1 | failover2 …
 * ```
 *
 * - one version → a plain leaf (its weight is irrelevant); several → a weighted union `&`;
 * - `failover` clusters → alternation `|` after the versions, in order.
 *
 * The dentries are appended after the router's own `dtab` (later dentries take precedence, so a
 * service definition wins over a dtab rule with the same prefix, and `l5d-dtab` request
 * overrides still win over both). A service applies to the routers listed in `routers`, or to
 * every router when the key is absent.
 *
 * Failover semantics come from the binder, not from this file: the router binds with
 * `bind(…, {failover: true})` and picks with `chooseLeaf(tree, random, usable)`, so the next
 * alternative is used when the versions bind to `~` (e.g. an `io.l5d.fs` file is missing), are
 * empty, or have every endpoint marked dead by failure accrual.
 *
 * @example
 * ```ts
 * import { compileServices } from "./compile_services.ts";
 * const { services } = compileServices([{
 *   name: "/svc/hello",
 *   versions: [{ name: "v1", dst: "/#/io.l5d.fs/hello-v1", weight: 90 }, {
 *     name: "v2",
 *     dst: "/#/io.l5d.fs/hello-v2",
 *     weight: 10,
 *   }],
 *   failover: ["/$/inet/127.0.0.1/8081"],
 * }], "outgoing");
 * services[0]?.summary; // "v1 90%, v2 10%; then failover"
 * ```
 *
 * @module
 */
import {
  alt,
  leaf,
  type NameTree,
  parsePath,
  parsePrefix,
  type Path,
  showDentry,
  union,
  weighted,
} from "../dtab/mod.ts";
import type { Dentry, Dtab } from "../dtab/mod.ts";

/** The subset of a `services[]` entry the compiler reads (structurally a `ServiceDefConfig`). */
export interface ServiceDef {
  readonly name: string;
  readonly versions: readonly {
    readonly name?: string | undefined;
    readonly dst: string;
    readonly weight?: number | undefined;
  }[];
  readonly failover?: readonly string[] | undefined;
  readonly routers?: readonly string[] | undefined;
}

/** One compiled service, with where it came from. */
export interface CompiledService {
  /** Index in `services:`. */
  readonly index: number;
  /** The service name (the dentry prefix), as written. */
  readonly name: string;
  readonly dentry: Dentry;
  /** Each version's share of traffic, in [0, 1], in version order. */
  readonly shares: readonly number[];
  /** A short human description: `v1 90%, v2 10%; then failover`. */
  readonly summary: string;
}

/** What {@linkcode compileServices} returns. */
export interface CompiledServices {
  /** The services that apply to the router, in `services:` order. */
  readonly services: readonly CompiledService[];
  /** Their dentries, to append to the router's dtab. */
  readonly dentries: Dtab;
  /** Dtab text, one dentry per line with a `# services[i] …` comment (parses back with parseDtab). */
  readonly text: string;
}

function percent(share: number): string {
  const p = share * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(p < 1 ? 2 : 1)}%`;
}

/**
 * Compile one service definition into its dentry.
 *
 * @param svc The service (already validated by the config schema).
 * @param index Its index in `services:`, for the summary.
 * @returns The compiled service.
 * @throws BadDtab when a name or dst is not a path (the config schema rejects those first).
 * @example
 * ```ts
 * import { compileService } from "./compile_services.ts";
 * compileService({ name: "/svc/a", versions: [{ dst: "/#/io.l5d.fs/a" }] }, 0).summary; // "/#/io.l5d.fs/a 100%"
 * ```
 */
export function compileService(svc: ServiceDef, index: number): CompiledService {
  const weights = svc.versions.map((v) => v.weight ?? 1);
  const total = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((w) => (total > 0 ? w / total : 0));
  const leaves = svc.versions.map((v) => leaf<Path>(parsePath(v.dst)));
  const versions: NameTree<Path> = leaves.length === 1
    ? leaves[0]!
    : union(...leaves.map((t, i) => weighted(weights[i]!, t)));
  const failover = (svc.failover ?? []).map((f) => leaf<Path>(parsePath(f)));
  const dst = failover.length > 0 ? alt(versions, ...failover) : versions;
  const parts = svc.versions.map((v, i) => `${v.name ?? v.dst} ${percent(shares[i]!)}`);
  const summary = parts.join(", ") + (failover.length > 0 ? "; then failover" : "");
  return { index, name: svc.name, dentry: { prefix: parsePrefix(svc.name), dst }, shares, summary };
}

/**
 * Compile the `services:` that apply to one router into dentries.
 *
 * @param services The top-level `services:` list.
 * @param routerLabel The router's label; services with a `routers` list that omits it are skipped.
 * @returns The compiled services, their dentries (append them to the router's dtab) and text.
 * @throws BadDtab when a name or dst is not a path (the config schema rejects those first).
 * @example
 * ```ts
 * import { compileServices } from "./compile_services.ts";
 * const c = compileServices([{ name: "/svc/a", versions: [{ dst: "/#/io.l5d.fs/a" }], routers: ["in"] }], "out");
 * c.dentries.length; // 0: the service only applies to the router labelled "in"
 * ```
 */
export function compileServices(
  services: readonly ServiceDef[],
  routerLabel: string,
): CompiledServices {
  const out: CompiledService[] = [];
  services.forEach((svc, i) => {
    if (svc.routers !== undefined && !svc.routers.includes(routerLabel)) return;
    out.push(compileService(svc, i));
  });
  const text = out.map((s) => `${showDentry(s.dentry)}; # services[${s.index}] ${s.summary}`)
    .join("\n");
  return { services: out, dentries: out.map((s) => s.dentry), text };
}
