/**
 * Routing lints for `switchyard check` (issue 5), on top of `router/config/lint.ts`: static
 * checks of each router's effective dtab (its `dtab` followed by the compiled `services:`), its
 * identifiers and route tables. Pure (no file system, no namers) unless given a file probe.
 * Warnings, not errors: a request's `l5d-dtab` can still change what binds.
 *
 * - **Unreachable dentries.** Linkerd tries dentries bottom-up and a `~` (negative) result falls
 *   through to the next matching dentry, so a later dentry only hides an earlier one when (a) its
 *   prefix matches every path the earlier prefix matches (same labels or `*`, and no longer) and
 *   (b) its destination can never be negative: it contains `!` or `$`, or a leaf
 *   `/$/inet/<ip literal>/<port>`, `/$/fail` or `/$/nil` (in an alternation or union, one such
 *   branch suffices). `/svc => /#/io.l5d.fs` shadows nothing: the fs namer says `~` for a
 *   missing file.
 * - **Names that bind nowhere.** A leaf of a dentry, a route's `dst`, or the names an identifier
 *   produces (`/svc/<host>` for `io.l5d.header.token`, …) that is not a namer path (`/#/…`,
 *   `/$/…`) and that no dentry prefix can match; with a file probe, also a leaf
 *   `/#/io.l5d.fs/<file>` whose file the namer's `rootDir` does not have.
 * - **Weights.** Weights that almost sum to 1 or 100 but do not (`60 & 39`), fractions that do
 *   not sum to 1 (`0.9 & 0.3`: 75 % / 25 %, not 90 / 30), a union branch of
 *   weight 0 (never chosen), a version with under 0.1 % of the traffic, and a weight on the only
 *   version (it has no effect).
 * - **Unknown namers.** `/$/<name>` that is not a built-in namer (`/#/<prefix>` without a
 *   configured namer is `lint.ts`'s check).
 * - **Routes.** A route no request can reach because an earlier route without host, header or
 *   query conditions covers its method and path; `rewrite.path` with `stripPrefix` (the prefix is
 *   ignored).
 *
 * @example
 * ```ts
 * import { configSchema } from "../config/schema.ts";
 * import { lintRouting } from "./routing_lint.ts";
 * const c = configSchema.parse({
 *   routers: [{
 *     protocol: "http",
 *     dtab: "/svc => /#/io.l5d.fs; /svc => /$/inet/127.0.0.1/80",
 *     servers: [{}],
 *   }],
 * });
 * lintRouting(c)[0]?.message; // "dentry 1 (/svc=>/#/io.l5d.fs) is unreachable: dentry 2 …"
 * ```
 *
 * @module
 */
import type { Config, LintWarning, RouteConfig, RouterConfig } from "../config/mod.ts";
import {
  type Dentry,
  dentryOffsets,
  type NameTree,
  parseDtab,
  parsePath,
  type Path,
  type Prefix,
  showDentry,
  showPath,
} from "../dtab/mod.ts";
import { compileServices } from "../services/mod.ts";
import { parseIpLiteral, rewritingNamers } from "../../discovery/mod.ts";

type Where = readonly (string | number)[];

interface Origin {
  readonly dentry: Dentry;
  readonly where: Where;
  /** `dentry 2 (/svc=>/#/io.l5d.fs)` or `services[0] (/svc/hello)`. */
  readonly label: string;
  /** Where a router dtab's dentry starts in its `dtab` string. */
  readonly dtabOffset?: number | undefined;
}

/** `null` = any one label; the tail after the known labels is open. */
type Shape = readonly (string | null)[];

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined; // reported by the loader
  }
}

function builtinNamers(): Set<string> {
  return new Set(["inet", "io.buoyant.rinet", "fail", "nil", ...rewritingNamers().keys()]);
}

function leaves(tree: NameTree<Path>, out: Path[] = []): Path[] {
  if (tree.type === "leaf") out.push(tree.value);
  else if (tree.type === "alt") { for (const t of tree.trees) leaves(t, out); }
  else if (tree.type === "union") { for (const w of tree.trees) leaves(w.tree, out); }
  return out;
}

function neverNegLeaf(p: Path): boolean {
  if (p[0] !== "$") return false;
  if (p[1] === "fail" || p[1] === "nil") return true;
  return p[1] === "inet" && p.length >= 4 && parseIpLiteral(p[2] ?? "") !== undefined;
}

/** True when the tree can never evaluate to `~`, so matching paths never fall through. */
export function neverNegative(tree: NameTree<Path>): boolean {
  switch (tree.type) {
    case "fail":
    case "empty":
      return true;
    case "neg":
      return false;
    case "leaf":
      return neverNegLeaf(tree.value);
    case "alt":
      return tree.trees.some(neverNegative);
    case "union":
      return tree.trees.some((w) => neverNegative(w.tree));
  }
}

/** True when `later` matches every path `earlier` matches. */
export function covers(later: Prefix, earlier: Prefix): boolean {
  if (later.length > earlier.length) return false;
  return later.every((e, i) => {
    const x = earlier[i]!;
    return e.kind === "any" || (x.kind === "label" && x.value === e.value);
  });
}

function mayMatch(prefix: Prefix, shape: Shape): boolean {
  for (let i = 0; i < prefix.length; i++) {
    if (i >= shape.length) return true;
    const e = prefix[i]!;
    const s = shape[i];
    if (e.kind === "label" && s !== null && e.value !== s) return false;
  }
  return true;
}

function showShape(shape: Shape): string {
  return "/" + shape.map((s) => s ?? "*").join("/");
}

function isNamerPath(shape: Shape): boolean {
  return shape[0] === "#" || shape[0] === "$";
}

function templateShape(template: string): Shape {
  return template.split("/").filter((s) => s !== "").map((label) =>
    label.includes("{") ? null : safe(() => parsePath("/" + label)[0]) ?? label
  );
}

function identifierShapes(rc: RouterConfig): { where: Where; shape: Shape; what: string }[] {
  const prefix: Shape = safe(() => parsePath(rc.dstPrefix)) ?? [];
  const out: { where: Where; shape: Shape; what: string }[] = [];
  rc.identifier.forEach((id, j) => {
    const where = ["identifier", j];
    switch (id.kind) {
      case "io.l5d.header.token":
        out.push({ where, shape: [...prefix, null], what: `${id.kind} names` });
        break;
      case "io.l5d.methodAndHost":
        out.push({ where, shape: [...prefix, "1.1", null, null], what: `${id.kind} names` });
        break;
      case "io.l5d.path":
        out.push({
          where,
          shape: [...prefix, ...Array<null>(id.segments).fill(null)],
          what: `${id.kind} names`,
        });
        break;
      case "io.l5d.static":
        out.push({ where, shape: [...prefix, ...templateShape(id.path)], what: `${id.kind} name` });
        break;
      case "switchyard.routes":
        id.routes.forEach((r, k) =>
          out.push({
            where: [...where, "routes", k, "dst"],
            shape: templateShape(r.dst),
            what: `routes[${k}].dst`,
          })
        );
        break;
      default:
        break; // io.l5d.header: any name the client sends
    }
  });
  return out;
}

function weightFindings(weights: readonly number[], names: readonly string[]): string[] {
  const out: string[] = [];
  const sum = weights.reduce((a, b) => a + b, 0);
  const near = (target: number) =>
    Math.abs(sum - target) > 1e-9 && Math.abs(sum - target) <= target * 0.1;
  const fractional = weights.some((w) => !Number.isInteger(w));
  // Every weight a fraction (0.9 & 0.3): written as shares of 1, so any other sum is a slip.
  const shares = weights.every((w) => w < 1) && Math.abs(sum - 1) > 1e-9 && sum > 0;
  if (weights.length > 1 && (near(100) || (fractional && near(1)) || shares)) {
    const target = near(100) ? 100 : 1;
    const shares = weights.map((w, i) => `${names[i]} ${((w / sum) * 100).toFixed(1)}%`);
    out.push(
      `weights sum to ${+sum.toFixed(6)}, not ${target}: traffic splits ${shares.join(", ")}`,
    );
  }
  // Fractions beside whole numbers (0.9 & 10): usually a share and a percentage mixed up.
  if (weights.some((w) => w > 0 && w < 1) && weights.some((w) => w >= 2)) {
    const shares = weights.map((w, i) => `${names[i]} ${((w / sum) * 100).toFixed(1)}%`);
    out.push(
      `weights mix fractions and whole numbers (${weights.join(", ")}): traffic splits ${
        shares.join(", ")
      }`,
    );
  }
  weights.forEach((w, i) => {
    if (w === 0) out.push(`${names[i]} has weight 0 and is never chosen`);
    else if (weights.length > 1 && sum > 0 && w / sum < 0.001) {
      out.push(`${names[i]} gets ${((w / sum) * 100).toFixed(3)}% of the traffic; is that meant?`);
    }
  });
  return out;
}

function unionWeights(tree: NameTree<Path>, out: string[]): void {
  if (tree.type === "alt") { for (const t of tree.trees) unionWeights(t, out); }
  if (tree.type !== "union") return;
  const names = tree.trees.map((
    w,
  ) => (w.tree.type === "leaf" ? showPath(w.tree.value) : "a branch"));
  out.push(...weightFindings(tree.trees.map((w) => w.weight), names));
  for (const w of tree.trees) unionWeights(w.tree, out);
}

function dtabOrigins(config: Config, rc: RouterConfig, i: number): Origin[] | undefined {
  if (rc.interpreter.kind !== "default") return undefined; // dtab lives elsewhere
  const base = safe(() => parseDtab(rc.dtab));
  if (base === undefined) return undefined;
  const offsets = safe(() => dentryOffsets(rc.dtab)) ?? [];
  const origins: Origin[] = base.map((d, k) => ({
    dentry: d,
    where: ["routers", i, "dtab"],
    label: `dentry ${k + 1} (${showDentry(d)})`,
    dtabOffset: offsets[k],
  }));
  const compiled = safe(() => compileServices(config.services, rc.label));
  for (const s of compiled?.services ?? []) {
    origins.push({
      dentry: s.dentry,
      where: ["services", s.index, "name"],
      label: `services[${s.index}] (${s.name})`,
    });
  }
  return origins;
}

function lintDtab(origins: readonly Origin[], builtins: Set<string>, out: LintWarning[]): void {
  origins.forEach((a, k) => {
    const hider = origins.slice(k + 1).find((b) =>
      covers(b.dentry.prefix, a.dentry.prefix) && neverNegative(b.dentry.dst)
    );
    if (hider) {
      out.push({
        path: a.where,
        dtabOffset: a.dtabOffset,
        message: `${a.label} is unreachable: ${hider.label} matches every name it matches and ` +
          "never falls through (its destination cannot be negative)",
      });
    }
    const seen = new Set<string>();
    for (const leaf of leaves(a.dentry.dst)) {
      if (leaf[0] === "$" && leaf.length > 1 && !builtins.has(leaf[1]!)) {
        const msg = `/$/${leaf[1]} is not a built-in namer (built-ins: ${
          [...builtins].join(", ")
        })`;
        if (!seen.has(msg)) out.push({ path: a.where, dtabOffset: a.dtabOffset, message: msg });
        seen.add(msg);
      } else if (!isNamerPath(leaf) && !origins.some((o) => mayMatch(o.dentry.prefix, leaf))) {
        out.push({
          path: a.where,
          dtabOffset: a.dtabOffset,
          message: `${showPath(leaf)} (in ${a.label}) binds nowhere: no dentry matches it and it ` +
            "is not a namer path (/#/… or /$/…)",
        });
      }
    }
    if (a.where[0] === "routers") {
      const findings: string[] = [];
      unionWeights(a.dentry.dst, findings);
      for (const f of findings) {
        out.push({ path: a.where, dtabOffset: a.dtabOffset, message: `${a.label}: ${f}` });
      }
    }
  });
}

function lintNames(
  rc: RouterConfig,
  i: number,
  origins: readonly Origin[],
  out: LintWarning[],
): void {
  for (const { where, shape, what } of identifierShapes(rc)) {
    if (isNamerPath(shape) || origins.some((o) => mayMatch(o.dentry.prefix, shape))) continue;
    const example = shape.length > 0 ? `/${shape[0] ?? "svc"}` : "/svc";
    out.push({
      path: ["routers", i, ...where],
      message: `${what} like ${showShape(shape)} bind nowhere: no dentry of routers[${i}] ` +
        `matches them; add one, e.g. "${example} => /#/io.l5d.fs;"`,
    });
  }
}

function methodsCover(earlier: RouteConfig, later: RouteConfig): boolean {
  const e = earlier.match.method;
  if (e === undefined) return true;
  const l = later.match.method;
  return l !== undefined && l.every((m) => e.includes(m) || (m === "HEAD" && e.includes("GET")));
}

function pathCovers(earlier: string | undefined, later: string | undefined): boolean {
  if (earlier === undefined || earlier === "/*") return true;
  const l = later ?? "/*";
  if (earlier === l) return true;
  if (!earlier.endsWith("/*")) return false;
  const lit = earlier.slice(0, -1); // "/static/"
  if (/[:*{]/.test(lit)) return false;
  return l.startsWith(lit) || l === lit.slice(0, -1);
}

function lintRoutes(rc: RouterConfig, i: number, out: LintWarning[]): void {
  rc.identifier.forEach((id, j) => {
    if (id.kind !== "switchyard.routes") return;
    id.routes.forEach((r, k) => {
      const where = ["routers", i, "identifier", j, "routes", k];
      const shadow = id.routes.slice(0, k).findIndex((e) => {
        const m = e.match;
        return m.host === undefined && m.headers === undefined && m.query === undefined &&
          methodsCover(e, r) && pathCovers(m.path, r.match.path);
      });
      if (shadow >= 0) {
        out.push({
          path: where,
          message: `routes[${k}] is unreachable: routes[${shadow}] comes first and matches ` +
            "every request it matches",
        });
      }
      if (r.rewrite?.path !== undefined && r.rewrite.stripPrefix !== undefined) {
        out.push({
          path: [...where, "rewrite"],
          message: "rewrite.path replaces the whole path, so stripPrefix is ignored; keep one",
        });
      }
    });
  });
}

function lintServiceWeights(config: Config, out: LintWarning[]): void {
  config.services.forEach((s, i) => {
    const where = ["services", i, "versions"];
    if (s.versions.length === 1 && s.versions[0]!.weight !== 1) {
      out.push({
        path: [...where, 0, "weight"],
        message: `weight ${s.versions[0]!.weight} has no effect: ${s.name} has one version`,
      });
    }
    const names = s.versions.map((v, j) => v.name ?? `versions[${j}]`);
    for (const f of weightFindings(s.versions.map((v) => v.weight), names)) {
      out.push({ path: where, message: `${s.name}: ${f}` });
    }
  });
}

/** What the file-system lint may ask of this machine (see {@link lintRouting}). */
export interface FileProbe {
  /** Whether `path` is a directory. */
  isDirectory(path: string): boolean;
  /** Whether `path` exists (file or directory). */
  exists(path: string): boolean;
}

/** The real file system, for `switchyard check` and `/admin/lint`. */
export const localFiles: FileProbe = {
  isDirectory(path) {
    try {
      return Deno.statSync(path).isDirectory;
    } catch {
      return false;
    }
  },
  exists(path) {
    try {
      Deno.statSync(path);
      return true;
    } catch {
      return false;
    }
  },
};

interface FsNamerDir {
  /** The namer's prefix labels after `#` (`["io.l5d.fs"]`). */
  readonly prefix: readonly string[];
  readonly rootDir: string;
}

/** The `io.l5d.fs` namers whose `rootDir` is a directory here (others: `environment.ts`). */
function fsNamerDirs(config: Config, files: FileProbe): FsNamerDir[] {
  const out: FsNamerDir[] = [];
  for (const n of config.namers) {
    if (n.kind !== "io.l5d.fs") continue;
    const { rootDir, prefix } = n as { rootDir: string; prefix?: string };
    const labels = safe(() => parsePath(prefix ?? "/io.l5d.fs"));
    if (labels && files.isDirectory(rootDir)) out.push({ prefix: labels, rootDir });
  }
  return out;
}

/**
 * Leaves that name a file of an `io.l5d.fs` namer (`/#/io.l5d.fs/<file>[/…]`) that its
 * `rootDir` does not have: the namer answers Neg (Linkerd's fs namer), so the name binds nowhere
 * until the file appears.
 */
function lintFsNames(
  origins: readonly Origin[],
  namers: readonly FsNamerDir[],
  files: FileProbe,
  out: LintWarning[],
): void {
  if (namers.length === 0) return;
  for (const a of origins) {
    for (const leaf of leaves(a.dentry.dst)) {
      if (leaf[0] !== "#") continue;
      const ns = namers.find((n) =>
        leaf.length > n.prefix.length + 1 && n.prefix.every((l, j) => leaf[j + 1] === l)
      );
      if (!ns) continue;
      const file = `${ns.rootDir.replace(/\/+$/, "")}/${leaf[ns.prefix.length + 1]}`;
      if (files.exists(file)) continue;
      out.push({
        path: a.where,
        dtabOffset: a.dtabOffset,
        message: `${showPath(leaf)} (in ${a.label}) binds nowhere here: ${file} does not exist ` +
          "(the io.l5d.fs namer answers neg until it does)",
      });
    }
  }
}

/**
 * Routing lints of a config that loaded.
 *
 * @param config A parsed config.
 * @param files With a file probe, also the names an `io.l5d.fs` namer cannot bind on this
 *   machine (its `rootDir` has no such file); without one, the lints are pure.
 * @returns Warnings with key paths (positions are added by the caller).
 * @example
 * ```ts
 * import { configSchema } from "../config/schema.ts";
 * import { lintRouting } from "./routing_lint.ts";
 * const one = { protocol: "http", dtab: "/svc => /#/io.l5d.fs", servers: [{}] };
 * lintRouting(configSchema.parse({ routers: [one] })); // []
 * ```
 */
export function lintRouting(config: Config, files?: FileProbe): LintWarning[] {
  const out: LintWarning[] = [];
  const builtins = builtinNamers();
  const fsNamers = files ? fsNamerDirs(config, files) : [];
  config.routers.forEach((rc, i) => {
    const origins = dtabOrigins(config, rc, i);
    if (origins !== undefined) {
      lintDtab(origins, builtins, out);
      lintNames(rc, i, origins, out);
      if (files) lintFsNames(origins, fsNamers, files, out);
    }
    lintRoutes(rc, i, out);
  });
  lintServiceWeights(config, out);
  return out;
}
