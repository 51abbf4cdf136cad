// The dtab playground: pick a router, add dtab rules, enter a path, and see the delegation tree
// `/delegator.json` explains — every dentry tried, every alternative, and why a branch was neg or
// failed. The state lives in the URL (?router=&path=&dtab=), so a tree can be linked to.
import { el } from "./common.js";

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const routerSel = /** @type {HTMLSelectElement} */ ($("router"));
const dtabBox = /** @type {HTMLTextAreaElement} */ ($("dtab"));
const pathBox = /** @type {HTMLInputElement} */ ($("path"));
/** @type {{label: string, dtab: string, dstPrefix: string}[]} */
let routers = [];

/**
 * Shows dentries one a line, prefix and destination coloured (a text that is no dentry as is).
 * @param {HTMLElement} pre
 * @param {({prefix: string, dst: string} | string)[]} entries
 */
function showEntries(pre, entries) {
  pre.replaceChildren();
  if (entries.length === 0) {
    pre.append(el("span", "hint", "(empty)"));
    return;
  }
  for (const d of entries) {
    if (typeof d === "string") {
      pre.append(d + ";\n");
      continue;
    }
    pre.append(
      el("span", "dt-prefix", d.prefix),
      el("span", "dt-arrow", " => "),
      el("span", "dt-dst", d.dst),
      ";\n",
    );
  }
}

/** Shows the router's dtab (config text) one dentry a line. @param {string} text */
function showDtab(text) {
  const entries = text.split(";").map((s) => s.trim()).filter(Boolean);
  showEntries(
    $("base-dtab"),
    entries.map((d) => {
      const i = d.indexOf("=>");
      return i < 0 ? d : { prefix: d.slice(0, i).trim(), dst: d.slice(i + 2).trim() };
    }),
  );
}

/**
 * Shows the live dtab of the router's interpreter (io.l5d.fs file, ConfigMap, Consul KV) from
 * /delegator/dtabs.json, as Linkerd's delegator page shows its `dtab-data`; hidden for the
 * default interpreter.
 */
async function showInterpreterDtab() {
  const label = routerSel.value;
  const field = $("interpreter-field");
  /** @type {{interpreter: string, dtab: {prefix: string, dst: string}[] | null} | undefined} */
  let r;
  try {
    const rsp = await fetch("/delegator/dtabs.json");
    r = rsp.ok ? (await rsp.json())[label] : undefined;
  } catch {
    r = undefined;
  }
  if (label !== routerSel.value) return; // another router was picked meanwhile
  if (!r || r.interpreter === "default") {
    field.hidden = true;
    return;
  }
  $("interpreter-kind").textContent = r.interpreter;
  const pre = $("interpreter-dtab");
  if (r.dtab === null) pre.replaceChildren(el("span", "hint", "(pending: not read yet)"));
  else showEntries(pre, r.dtab);
  field.dataset.router = label;
  field.hidden = false;
}

/**
 * Marks what binding would choose: a leaf with endpoints is chosen; `alt` takes its first
 * branch that is not neg; a union takes all its branches. Returns the branch's outcome. An empty
 * set (`/$/nil`) is not neg: as in Finagle, it ends an alternation, and the name binds to no
 * endpoint.
 * @param {any} n
 * @returns {"bound" | "neg" | "fail" | "empty"}
 */
function outcome(n) {
  switch (n.type) {
    case "empty":
      return "empty";
    case "leaf":
      return n.bound?.addr?.type === "neg" ? "neg" : "bound";
    case "delegate":
      return outcome(n.delegate);
    case "alt":
      for (const c of n.alt) {
        const o = outcome(c);
        if (o !== "neg") return o;
      }
      return "neg";
    case "union": {
      const os = n.union.map((/** @type {any} */ u) => outcome(u.tree));
      if (os.includes("bound")) return "bound";
      if (os.includes("fail")) return "fail";
      return os.includes("empty") ? "empty" : "neg";
    }
    case "fail":
    case "exception":
      return "fail";
    default:
      return "neg";
  }
}

/** @param {any} n @param {Set<any>} chosen */
function markChosen(n, chosen) {
  if ((n.type === "leaf" && outcome(n) === "bound") || n.type === "empty") chosen.add(n);
  else if (n.type === "delegate") markChosen(n.delegate, chosen);
  else if (n.type === "alt") {
    const c = n.alt.find((/** @type {any} */ x) => outcome(x) !== "neg");
    if (c) markChosen(c, chosen);
  } else if (n.type === "union") { for (const u of n.union) markChosen(u.tree, chosen); }
}

/**
 * One node and its subtree. A node's dentry is shown only where it differs from its parent's:
 * the branches one rule produced all carry that rule.
 * @param {any} n @param {Set<any>} chosen @param {string} [weight] @param {string} [parentVia]
 */
function renderNode(n, chosen, weight, parentVia) {
  const li = el("li");
  const box = el("div", `node t-${n.type}${chosen.has(n) ? " chosen" : ""}`);
  box.setAttribute("data-type", n.type);
  const line = el("div", "line");
  line.append(el("span", "kind", weight ? `${n.type} · ${weight}` : n.type));
  if (n.path) line.append(el("code", "", n.path));
  const rule = n.dentry ? `${n.dentry.prefix} => ${n.dentry.dst}` : undefined;
  if (rule && rule !== parentVia) {
    const via = el("span", "via", "via ");
    via.append(el("code", "", rule));
    line.append(via);
  }
  if (chosen.has(n)) line.append(el("span", "tag good", "selected"));
  box.append(line);
  if (n.type === "leaf") {
    const b = n.bound ?? {};
    const info = el("div", "line");
    info.append(el("span", "via", "client"), el("code", "", b.id ?? ""));
    if (b.path && b.path !== "/") {
      info.append(el("span", "via", "residual"), el("code", "", b.path));
    }
    const t = b.addr?.type ?? "?";
    info.append(el("span", t === "bound" ? "tag good" : "tag warn", `addr ${t}`));
    box.append(info);
    if (b.addr?.type === "bound") {
      const addrs = el("div", "addrs");
      for (const a of b.addr.addrs ?? []) {
        const chip = el("span", "addr", `${a.ip}:${a.port}`);
        chip.setAttribute("data-addr", `${a.ip}:${a.port}`);
        addrs.append(chip);
      }
      if (!b.addr.addrs?.length) addrs.append(el("span", "hint", "no endpoints"));
      box.append(addrs);
    }
  }
  if (n.type === "exception" && n.message) box.append(el("div", "why", n.message));
  if (n.type === "empty" && !n.why) {
    box.append(el("div", "why", "an empty set: the alternation ends here, with no endpoint"));
  }
  if (n.why) box.append(el("div", "why", n.why));
  li.append(box);
  /** @type {[any, string | undefined][]} */
  const kids = n.type === "delegate"
    ? [[n.delegate, undefined]]
    : n.type === "alt"
    ? n.alt.map((/** @type {any} */ c) => [c, undefined])
    : n.type === "union"
    ? n.union.map((/** @type {any} */ u) => [u.tree, `weight ${u.weight}`])
    : [];
  if (kids.length) {
    const ul = el("ul");
    for (const [c, w] of kids) ul.append(renderNode(c, chosen, w, rule));
    li.append(ul);
  }
  return li;
}

async function run() {
  const path = pathBox.value.trim();
  const result = $("result");
  if (!path) return;
  const q = new URLSearchParams({ namespace: routerSel.value, path });
  const dtab = dtabBox.value.trim();
  if (dtab) q.set("dtab", dtab);
  const share = new URLSearchParams({ router: routerSel.value, path });
  if (dtab) share.set("dtab", dtab);
  history.replaceState(null, "", `?${share}`);
  $("result-path").textContent = path;
  result.setAttribute("aria-busy", "true");
  void showInterpreterDtab(); // it is live: read again with each tree
  try {
    const rsp = await fetch(`/delegator.json?${q}`);
    // Errors are plain text (Linkerd's `Invalid path: …`), the tree is JSON.
    const text = await rsp.text();
    if (!rsp.ok) throw new Error(text || `HTTP ${rsp.status}`);
    const body = JSON.parse(text);
    const chosen = new Set();
    markChosen(body, chosen);
    const ul = el("ul", "tree");
    ul.append(renderNode(body, chosen));
    result.replaceChildren(ul);
    $("raw").textContent = JSON.stringify(body, null, 2);
    $("raw-box").hidden = false;
  } catch (e) {
    result.replaceChildren(el("div", "error", e instanceof Error ? e.message : String(e)));
    $("raw-box").hidden = true;
  } finally {
    result.setAttribute("aria-busy", "false");
    document.body.dataset.runs = String(Number(document.body.dataset.runs ?? 0) + 1);
  }
}

function pickRouter() {
  const r = routers.find((x) => x.label === routerSel.value);
  showDtab(r?.dtab ?? "");
  void showInterpreterDtab();
  if (r && !pathBox.value) pathBox.placeholder = `${r.dstPrefix ?? "/svc"}/hello`;
}

async function init() {
  const params = new URLSearchParams(location.search);
  try {
    const cfg = await (await fetch("/config.json")).json();
    routers = (cfg.routers ?? []).map((/** @type {any} */ r) => ({
      // /config.json is the config as written (as Linkerd's): an unlabelled router is named
      // after its protocol, as the loader names it.
      label: r.label ?? r.protocol,
      dtab: typeof r.dtab === "string" ? r.dtab : "",
      dstPrefix: r.dstPrefix ?? "/svc",
    }));
  } catch {
    routers = [];
  }
  for (const r of routers) routerSel.append(new Option(r.label, r.label));
  const want = params.get("router");
  if (want && routers.some((r) => r.label === want)) routerSel.value = want;
  pathBox.value = params.get("path") ?? "";
  dtabBox.value = params.get("dtab") ?? "";
  pickRouter();
  routerSel.addEventListener("change", () => {
    pickRouter();
    if (pathBox.value.trim()) run();
  });
  $("form").addEventListener("submit", (e) => {
    e.preventDefault();
    run();
  });
  dtabBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
  document.body.dataset.ready = "1";
  if (pathBox.value) await run();
}

init();
