/**
 * Runs every case of `shared/compat/finagle-dtab-vectors.json` (Finagle 21.4.0 dtab, path and
 * name-tree tests) against `router/dtab`. Cases that need Finagle's global namer (`/$/inet`,
 * `/$/fixedinet`, `/$/fail`, `/$/nil`, `/$/<className>`) or the test namer
 * `/$/com.twitter.finagle.naming.testnamer` run against stubs defined here that behave like
 * Finagle's `Namer.global` (without DNS: a host is kept as written).
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { constVar } from "../../router/core/var.ts";
import type { Activity, Addr, Bound, Name, NamerLookup } from "../../discovery/types.ts";
import {
  bind,
  bindTree,
  dtabFromHeaders,
  evalTree,
  lookup,
  parseDentry,
  parseDtab,
  parseNameTree,
  parsePath,
  showDtab,
  showPath,
  showPrefix,
  showTree,
  simplify,
} from "../../router/dtab/mod.ts";
import type { BindResult, NameTree, Path } from "../../router/dtab/mod.ts";

// deno-lint-ignore no-explicit-any
type Case = any;
const url = new URL("../../../shared/compat/finagle-dtab-vectors.json", import.meta.url);
const vectors = JSON.parse(await Deno.readTextFile(url)) as Record<string, Case[]>;

// ---- stubs of Finagle's Namer.global and the test namer -----------------------------------

function isInt(s: string | undefined): s is string {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return false;
  const n = Number(s);
  return n >= -2147483648 && n <= 2147483647;
}

function ok(tree: NameTree<Name>) {
  return constVar<Activity<NameTree<Name>>>({ state: "ok", value: tree });
}

function inetLeaf(path: Path, host: string, port: number, used: number) {
  const id = path.slice(0, used);
  const addr = constVar<Addr>({ type: "bound", addrs: [{ host, port, weight: 1 }] });
  const bound: Bound = { id, idStr: showPath(id), addr, residual: path.slice(used) };
  return ok({ type: "leaf", value: { kind: "bound", bound } });
}

const TEST_NAMER = "com.twitter.finagle.naming.testnamer";

/** Finagle's `Namer.global`, plus the test namer the DefaultInterpreter tests load. */
const globalNamer: NamerLookup = (path) => {
  if (path[0] !== "$" || path.length < 2) return undefined;
  const kind = path[1]!;
  if (kind === "inet" || kind === "fixedinet") {
    if (path.length >= 4 && isInt(path[3])) return inetLeaf(path, path[2]!, Number(path[3]), 4);
    if (isInt(path[2])) return inetLeaf(path, "", Number(path[2]), 3);
  }
  if (kind === "fail") return ok({ type: "fail" });
  if (kind === "nil") return ok({ type: "empty" });
  if (kind === TEST_NAMER) {
    return ok({
      type: "leaf",
      value: { kind: "path", path: ["rewritten", "by", "test", "namer"] },
    });
  }
  return constVar<Activity<NameTree<Name>>>({
    state: "failed",
    error: `ClassNotFoundException: ${kind}`,
  });
};

// ---- helpers --------------------------------------------------------------------------------

/** A tree in the vectors' JSON form. */
function toJson(t: NameTree<Path>): unknown {
  switch (t.type) {
    case "leaf":
      return { type: "leaf", path: showPath(t.value) };
    case "alt":
      return { type: "alt", trees: t.trees.map(toJson) };
    case "union":
      return {
        type: "union",
        trees: t.trees.map((w) => ({ weight: w.weight, tree: toJson(w.tree) })),
      };
    default:
      return { type: t.type };
  }
}

/** Endpoints reached by a bound tree, each with the weight of its innermost union branch. */
function endpoints(t: NameTree<Bound>, weight = 1, out: { addr: string; weight: number }[] = []) {
  if (t.type === "leaf") {
    const a = t.value.addr.get();
    if (a.type === "bound") {
      for (const x of a.addrs) out.push({ addr: `${x.host}:${x.port}`, weight });
    }
  } else if (t.type === "union") {
    for (const w of t.trees) endpoints(w.tree, w.weight, out);
  } else if (t.type === "alt") {
    const first = t.trees.find((x) => evalTree(x) !== null);
    if (first) endpoints(first, weight, out);
  }
  return out;
}

const sortBy = <T>(xs: T[], key: (x: T) => string) =>
  [...xs].sort((a, b) => key(a).localeCompare(key(b)));

function checkBindExpect(c: Case, r: BindResult): void {
  const expect: string = c.expect;
  if (expect.startsWith("error:") || expect === "error") {
    const name = c.expect_error as string;
    assert(r.error !== undefined, `expected error ${name}, got ${r.tree.type}`);
    if (name === "NamerExceededMaxDepthException") {
      assertStringIncludes(r.error, "Max recursion level: 100 reached in Namer lookup");
    } else assertStringIncludes(r.error, name);
    return;
  }
  assert(r.error === undefined, `unexpected error ${r.error}`);
  assert(!r.pending, "unexpected pending");
  if (expect === "~" || expect === "!" || expect === "$") {
    assertEquals(showTree(r.tree, (b) => b.idStr), expect);
    return;
  }
  if (c.expect_bound_id !== undefined && expect.startsWith("leaf:")) {
    assert(r.tree.type === "leaf");
    assertEquals(r.tree.value.idStr, c.expect_bound_id);
    return;
  }
  const got = endpoints(r.tree);
  // deno-lint-ignore no-explicit-any
  const want = (c.expect_addrs as any[]).map((a) => typeof a === "string" ? { addr: a } : a) as {
    addr: string;
    weight?: number;
  }[];
  const gotCmp = got.map((g, i) => want[i]?.weight === undefined ? { addr: g.addr } : g);
  const wantHasWeights = want.some((w) => w.weight !== undefined);
  assertEquals(
    sortBy(wantHasWeights ? got : gotCmp.map((g) => ({ addr: g.addr })), (x) => x.addr),
    sortBy(want, (x) => x.addr),
  );
  if (c.expect_bound_id !== undefined) {
    assert(r.tree.type === "leaf");
    assertEquals(r.tree.value.idStr, c.expect_bound_id);
  }
  if (c.expect_residual !== undefined) {
    assert(r.tree.type === "leaf");
    assertEquals(showPath(r.tree.value.residual), c.expect_residual);
  }
}

/** ByteString form of a header value (non-Latin-1 text travels as its UTF-8 bytes). */
function headerValue(v: string): string {
  if (![...v].some((ch) => ch.charCodeAt(0) > 255)) return v;
  return String.fromCharCode(...new TextEncoder().encode(v));
}

// ---- the runners, one per kind --------------------------------------------------------------

const runners: Record<string, (c: Case) => void> = {
  parse_dtab(c) {
    if (c.error) {
      let threw = false;
      try {
        parseDtab(c.input);
      } catch {
        threw = true;
      }
      assert(threw, "expected a parse error");
      return;
    }
    const d = parseDtab(c.input);
    assertEquals(
      d.map((e) => ({ prefix: showPrefix(e.prefix), dst: showTree(e.dst, showPath) })),
      c.expect,
    );
    const shown = showDtab(d);
    assertEquals(showDtab(parseDtab(shown)), shown, "show is canonical");
  },
  parse_dentry(c) {
    if (c.error) {
      let threw = false;
      try {
        parseDentry(c.input);
      } catch {
        threw = true;
      }
      assert(threw, "expected a parse error");
      return;
    }
    const d = parseDentry(c.input);
    assertEquals({ prefix: showPrefix(d.prefix), dst: showTree(d.dst, showPath) }, c.expect);
  },
  parse_path(c) {
    if (c.error) {
      let msg: string | undefined;
      try {
        parsePath(c.input);
      } catch (e: unknown) {
        msg = (e as Error).message;
      }
      assert(msg !== undefined, "expected a parse error");
      if (c.message_contains) assertStringIncludes(msg, c.message_contains);
      return;
    }
    const p = parsePath(c.input);
    assertEquals([...p], c.expect_elems);
    assertEquals(showPath(p), c.expect_show);
  },
  parse_nametree(c) {
    if (c.error) {
      let threw = false;
      try {
        parseNameTree(c.input);
      } catch {
        threw = true;
      }
      assert(threw, "expected a parse error");
      return;
    }
    const t = parseNameTree(c.input);
    assertEquals(toJson(t), c.expect_tree);
    assertEquals(showTree(t, showPath), c.expect_show);
  },
  roundtrip_nametree(c) {
    const t = parseNameTree(c.input);
    assertEquals(toJson(t), c.expect_tree);
    const shown = showTree(t, showPath);
    assertEquals(shown, c.expect_show);
    assertEquals(toJson(parseNameTree(shown)), c.expect_tree, "read(show(t)) == t");
  },
  eval_nametree(c) {
    const t = parseNameTree(c.input);
    for (const tree of [t, simplify(t)]) {
      const r = evalTree(tree);
      const got = r === null ? null : [...r].map(showPath).sort();
      assertEquals(got, c.expect_eval === null ? null : [...c.expect_eval].sort());
    }
  },
  lookup(c) {
    assertEquals(showTree(lookup(parseDtab(c.dtab), parsePath(c.path)), showPath), c.expect_show);
  },
  delegate_or_bind(c) {
    const dtab = parseDtab(c.dtab);
    const r = c.tree !== undefined
      ? bindTree(dtab, parseNameTree(c.tree), globalNamer)
      : bind(dtab, parsePath(c.path), globalNamer);
    checkBindExpect(c, r);
    if (c.expect_message_with_max_depth_2) {
      const r2 = bind(dtab, parsePath(c.path), globalNamer, { maxDepth: 2 });
      assertEquals(r2.error, c.expect_message_with_max_depth_2);
    }
  },
  global_namer(c) {
    checkBindExpect(c, bind([], parsePath(c.path), globalNamer));
  },
  show_dtab(c) {
    assertEquals(showDtab(parseDtab(c.input)), c.expect_show);
  },
  http_dtab_headers(c) {
    const h = new Headers();
    for (const [k, v] of c.headers as [string, string][]) h.append(k, headerValue(v));
    if (c.error !== undefined) {
      let msg: string | undefined;
      try {
        dtabFromHeaders(h);
      } catch (e: unknown) {
        msg = (e as Error).message;
      }
      assertEquals(msg, c.error);
      return;
    }
    const d = dtabFromHeaders(h);
    assertEquals(
      d.map((e) => ({ prefix: showPrefix(e.prefix), dst: showTree(e.dst, showPath) })),
      c.expect,
    );
  },
};

Deno.test("finagle vectors: every case passes", async (t) => {
  const skipped: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const [kind, cases] of Object.entries(vectors)) {
    if (!Array.isArray(cases)) continue; // source, license, notes, ...
    const run = runners[kind];
    if (!run) {
      skipped.push(`${cases.length} ${kind} (no runner)`);
      continue;
    }
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      const label = `${kind}[${i}] ${JSON.stringify(c.input ?? c.path ?? c.tree ?? c.headers)}`;
      const ok = await t.step(label.slice(0, 120), () => run(c));
      if (ok) passed++;
      else failed++;
    }
  }
  const reasons = skipped.length ? ` (${skipped.join("; ")})` : "";
  // deno-lint-ignore no-console
  console.log(`finagle vectors: ${passed} passed, ${skipped.length} skipped${reasons}`);
  assertEquals(failed, 0);
  assertEquals(skipped.length, 0);
});
