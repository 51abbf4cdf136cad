// One section per service (logical name): a summary row that is always there (cheap: a few text
// nodes and a sparkline), and a body built on first expand with two charts, retry and failure
// details and the bound clients' per-endpoint tables. Charts exist only for sections that are
// open *and* on screen (IntersectionObserver), so 100 services cost 100 rows, not 200 charts.
import { cls, el, fmtInt, fmtMs, fmtRate, fmtSr, put, srClass } from "./common.js";
import { chart, sparkline } from "./charts.js";
import { KeyedTable } from "./table.js";

const SR_COLOR = { good: "#3fb950", warn: "#d29922", bad: "#f85149", dim: "#58a6ff" };
const LINK_TTL_MS = 30_000;

/**
 * @typedef {import("./series.js").Series} Series
 * @typedef {{m: Record<string, number>, lat?: {count: number, p50: number, p95: number, p99: number}}} Scope
 * @typedef {Scope & {name: string, clients: string[]}} Service
 * @typedef {Scope & {addr: string}} Endpoint
 * @typedef {Scope & {id: string, endpoints: Endpoint[]}} Client
 * @typedef {{series: (key: string) => Series, clients: Map<string, Client>, epKey: (id: string, addr: string) => string}} Ctx
 */

/** The bound client ids of every leaf in a `/delegator.json` tree (leading `/` dropped). */
function leafIds(node, out = new Set()) {
  if (!node || typeof node !== "object") return out;
  if (node.type === "leaf" && node.bound?.id) out.add(String(node.bound.id).replace(/^\//, ""));
  if (node.type === "delegate") leafIds(node.delegate, out);
  if (node.type === "alt") { for (const n of node.alt ?? []) leafIds(n, out); }
  if (node.type === "union") { for (const u of node.union ?? []) leafIds(u.tree, out); }
  return out;
}

export class ServiceSection {
  /**
   * @param {string} router
   * @param {string} name
   * @param {boolean} showRouter
   * @param {(s: ServiceSection) => void} onToggle
   */
  constructor(router, name, showRouter, onToggle) {
    this.router = router;
    this.name = name;
    this.key = `${router} ${name}`;
    this.open = false;
    this.visible = false;
    /** @type {Set<string>} client ids learnt from the delegator */
    this.linked = new Set();
    this.linkedAt = 0;
    this.linking = false;
    /** @type {{rate: ReturnType<typeof chart>, lat: ReturnType<typeof chart>} | undefined} */
    this.charts = undefined;
    /** @type {Map<string, {box: HTMLElement, head: HTMLElement, table: KeyedTable, headKey?: string}>} */
    this.clientBoxes = new Map();
    this.sortValues = { volume: 0, sr: 1, p99: 0 };

    this.root = el("div", "svc");
    this.root.setAttribute("data-router", router);
    this.root.setAttribute("data-service", name);
    const row = el("div", "svc-row");
    row.setAttribute("role", "button");
    row.setAttribute("aria-expanded", "false");
    row.tabIndex = 0;
    const nameCell = el("span", "svc-name");
    this.rt = el("span", "rt", router);
    this.rt.hidden = !showRouter;
    nameCell.append(this.rt, document.createTextNode(name));
    nameCell.title = `${router} /${name}`;
    this.cells = {
      sr: el("span", "sr", "—"),
      rps: el("span", "", "—"),
      requests: el("span", "", "0"),
      p50: el("span", "", "—"),
      p99: el("span", "", "—"),
    };
    for (const [k, c] of Object.entries(this.cells)) c.setAttribute("data-k", k);
    this.spark = /** @type {HTMLCanvasElement} */ (el("canvas", "spark"));
    row.append(el("span", "chev", "›"), nameCell, ...Object.values(this.cells), this.spark);
    row.addEventListener("click", () => onToggle(this));
    row.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        onToggle(this);
      }
    });
    this.row = row;
    this.root.append(row);
    /** @type {HTMLElement | undefined} */
    this.body = undefined;
  }

  /**
   * Shows the router's label before the name (when more than one router has services: a reload
   * can add or remove routers while the page is open). @param {boolean} show
   */
  showRouter(show) {
    if (this.rt.hidden === show) this.rt.hidden = !show;
  }

  /** Opens or closes the body. @param {boolean} open */
  setOpen(open) {
    this.open = open;
    this.root.classList.toggle("open", open);
    this.row.setAttribute("aria-expanded", String(open));
    if (open && !this.body) this.buildBody();
    if (this.body) this.body.hidden = !open;
    if (!open && this.charts) {
      this.charts.rate.destroy();
      this.charts.lat.destroy();
      this.charts = undefined;
    }
  }

  buildBody() {
    const body = el("div", "svc-body");
    const charts = el("div", "charts");
    const f1 = el("figure");
    f1.append(el("figcaption", "", "Success rate & request volume"));
    this.rateBox = el("div", "chart");
    f1.append(this.rateBox);
    const f2 = el("figure");
    f2.append(el("figcaption", "", "Latency (ms, 1-min window)"));
    this.latBox = el("div", "chart");
    f2.append(this.latBox);
    charts.append(f1, f2);
    this.meta = el("div", "svc-meta");
    this.clientsBox = el("div", "clients-box");
    this.clientHint = el("p", "hint", "Resolving the clients this name binds to…");
    this.clientsBox.append(this.clientHint);
    body.append(charts, this.meta, this.clientsBox);
    this.body = body;
    this.root.append(body);
  }

  /**
   * Refreshes the row (always) and the body (when open).
   * @param {Service} svc
   * @param {Ctx} ctx
   */
  update(svc, ctx) {
    const s = ctx.series(`svc ${this.key}`);
    const r = s.rate();
    const c = srClass(r.sr);
    put(this.cells.sr, fmtSr(r.sr), r.sr === undefined ? "" : r.sr);
    cls(this.cells.sr, `sr ${c}`);
    this.cells.sr.title = r.windowed ? "last 10 s" : "all time (no request in the last 10 s)";
    put(this.cells.rps, fmtRate(r.rps), r.rps === undefined ? "" : r.rps);
    const requests = svc.m.requests ?? 0;
    put(this.cells.requests, fmtInt(requests), requests);
    const lat = svc.lat && svc.lat.count > 0 ? svc.lat : undefined;
    put(this.cells.p50, fmtMs(lat?.p50), lat?.p50 ?? "");
    put(this.cells.p99, fmtMs(lat?.p99), lat?.p99 ?? "");
    this.sortValues = { volume: r.rps ?? 0, sr: r.sr ?? 1, p99: lat?.p99 ?? 0 };
    if (this.visible) sparkline(this.spark, s.rps, SR_COLOR[c]);
    if (!this.open || !this.body) return;
    this.updateBody(svc, s, ctx);
  }

  /** @param {Service} svc @param {Series} s @param {Ctx} ctx */
  updateBody(svc, s, ctx) {
    if (this.visible) {
      if (!this.charts && this.rateBox && this.latBox && "uPlot" in globalThis && this.onScreen()) {
        this.charts = { rate: chart(this.rateBox, "service"), lat: chart(this.latBox, "latency") };
      }
      this.charts?.rate.update(s);
      this.charts?.lat.update(s);
      this.link();
    }
    this.renderMeta(svc, ctx);
    const ids = [...new Set([...svc.clients, ...this.linked])].filter((id) => ctx.clients.has(id));
    for (const [id, box] of this.clientBoxes) {
      if (!ids.includes(id)) {
        box.box.remove();
        this.clientBoxes.delete(id);
      }
    }
    if (this.clientHint) {
      this.clientHint.hidden = ids.length > 0;
      if (this.linkedAt > 0) this.clientHint.textContent = "No client has served this name yet.";
    }
    for (const id of ids.sort()) {
      this.renderClient(/** @type {Client} */ (ctx.clients.get(id)), ctx);
    }
  }

  /** @param {Service} svc @param {Ctx} _ctx */
  renderMeta(svc, _ctx) {
    const m = svc.m;
    /** @type {[string, string, string][]} */
    const tags = [];
    for (const k of ["2XX", "3XX", "4XX", "5XX"]) {
      const v = m[`status/${k}`];
      if (v) {
        tags.push([
          k,
          `${k} ${fmtInt(v)}`,
          k === "5XX" ? "tag bad" : k === "4XX" ? "tag warn" : "tag",
        ]);
      }
    }
    if (m["status/error"]) {
      tags.push(["error", `no response ${fmtInt(m["status/error"])}`, "tag bad"]);
    }
    for (const [k, v] of Object.entries(m)) {
      if (k.startsWith("failures/") && v > 0) {
        tags.push([k, `${k.slice(9)} ×${fmtInt(v)}`, "tag bad"]);
      }
    }
    if (m["retries/total"] !== undefined) {
      tags.push([
        "retries",
        `retries ${fmtInt(m["retries/total"])}`,
        m["retries/total"] ? "tag warn" : "tag",
      ]);
    }
    if (m["retries/budget"] !== undefined) {
      tags.push(["budget", `retry budget ${fmtInt(m["retries/budget"])}`, "tag"]);
    }
    if (m["retries/budget_exhausted"]) {
      tags.push([
        "exhausted",
        `budget exhausted ×${fmtInt(m["retries/budget_exhausted"])}`,
        "tag bad",
      ]);
    }
    if (m.pending) tags.push(["pending", `in flight ${fmtInt(m.pending)}`, "tag"]);
    const key = tags.map((t) => t[1] + t[2]).join("|");
    if (this.metaKey === key || !this.meta) return;
    this.metaKey = key;
    this.meta.replaceChildren(...tags.map(([k, text, c]) => {
      const t = el("span", c, text);
      t.setAttribute("data-k", k);
      return t;
    }));
  }

  /** @param {Client} client @param {Ctx} ctx */
  renderClient(client, ctx) {
    let box = this.clientBoxes.get(client.id);
    if (!box) {
      box?.box.remove();
      const root = el("div", "client");
      root.setAttribute("data-client", client.id);
      const head = el("div", "client-head");
      const headers = [
        "Endpoint",
        "State",
        "Req/s",
        "Requests",
        "Success",
        "Outstanding",
        "p50 ms",
        "p99 ms",
        // Every balancer's endpoints: the ewma balancer's own peak-EWMA cost, else an EWMA of
        // the endpoint's median latency over the polls (10 s decay, as Finagle's).
        "EWMA ms",
      ];
      const table = new KeyedTable(headers, "data-endpoint");
      root.append(head, table.root);
      box = { box: root, head, table };
      this.clientBoxes.set(client.id, box);
      this.clientsBox?.append(root);
    }
    const m = client.m;
    const size = m["loadbalancer/size"];
    const avail = m["loadbalancer/available"];
    const parts = [["id", `/${client.id}`, "mono"]];
    if (size !== undefined) {
      const c = avail === size ? "tag good" : avail === 0 ? "tag bad" : "tag warn";
      parts.push(["lb", `${fmtInt(avail ?? 0)}/${fmtInt(size)} endpoints available`, c]);
    }
    if (m["loadbalancer/panic_mode"]) parts.push(["panic", "panic mode", "tag bad"]);
    if (m["failure_accrual/removals"]) {
      parts.push(["removals", `marked dead ×${fmtInt(m["failure_accrual/removals"])}`, "tag warn"]);
    }
    const requeues = m["retries/requeues"];
    if (requeues) parts.push(["requeues", `requeues ${fmtInt(requeues)}`, "tag warn"]);
    const headKey = parts.map((p) => p[1] + p[2]).join("|");
    if (box.headKey !== headKey) {
      box.headKey = headKey;
      box.head.replaceChildren(...parts.map(([k, text, c]) => {
        const t = el(k === "id" ? "code" : "span", c, text);
        t.setAttribute("data-k", k);
        return t;
      }));
    }
    box.table.update(client.endpoints.map((e) => {
      const s = ctx.series(ctx.epKey(client.id, e.addr));
      const r = s.rate();
      const dead = e.m["failure_accrual/dead"];
      const state = dead === undefined ? ["—", "dim"] : dead ? ["dead", "bad"] : ["alive", "good"];
      const lat = e.lat && e.lat.count > 0 ? e.lat : undefined;
      const cells = [
        { text: e.addr, k: "addr" },
        { text: state[0], cls: state[1], k: "state" },
        { text: fmtRate(r.rps), raw: r.rps ?? "", k: "rps" },
        { text: fmtInt(e.m.requests ?? 0), raw: e.m.requests ?? 0, k: "requests" },
        { text: fmtSr(r.sr), raw: r.sr ?? "", cls: srClass(r.sr), k: "sr" },
        { text: fmtInt(e.m.outstanding ?? 0), raw: e.m.outstanding ?? 0, k: "outstanding" },
        { text: fmtMs(lat?.p50), raw: lat?.p50 ?? "", k: "p50" },
        { text: fmtMs(lat?.p99), raw: lat?.p99 ?? "", k: "p99" },
      ];
      const w = ewmaOf(e) ?? s.latencyEwma(lat?.p50);
      cells.push({ text: fmtMs(w), raw: w ?? "", k: "ewma" });
      return { key: e.addr, cells };
    }));
  }

  /** Learns the bound clients from the delegator (refreshed every 30 s while open and visible). */
  link() {
    if (this.linking || Date.now() - this.linkedAt < LINK_TTL_MS) return;
    this.linking = true;
    const q = new URLSearchParams({ namespace: this.router, path: `/${this.name}` });
    fetch(`/delegator.json?${q}`)
      .then((r) => (r.ok ? r.json() : undefined))
      .then((tree) => {
        if (tree) this.linked = leafIds(tree);
      })
      .catch(() => {})
      .finally(() => {
        this.linking = false;
        this.linkedAt = Date.now();
      });
  }

  /**
   * Whether the section is within a screen of the viewport now. The observer's flag can lag a
   * layout change (expanding many sections at once), so a chart is only built after this check.
   */
  onScreen() {
    const r = this.root.getBoundingClientRect();
    return r.bottom > -200 && r.top < innerHeight + 200;
  }

  resize() {
    this.charts?.rate.resize();
    this.charts?.lat.resize();
  }
}

/** The endpoint's peak-EWMA cost when a balancer registers one (`ewma_ms`, `load`, …). */
function ewmaOf(e) {
  return e.m["ewma_ms"] ?? e.m["loadbalancer/ewma_ms"] ?? e.m["ewma"] ?? e.m["load"];
}
