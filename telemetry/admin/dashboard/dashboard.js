// The admin dashboard: polls /admin/api/summary.json every second and keeps the DOM in step
// with it, touching only what changed. Rates are computed here from cumulative counters and the
// server's monotonic time, so the server keeps no per-viewer state.
import { cls, fmtBytes, fmtInt, fmtMs, fmtRate, fmtSr, fmtUptime, put, srClass } from "./common.js";
import { chart } from "./charts.js";
import { Series } from "./series.js";
import { ServiceSection } from "./services.js";
import { routerPanel } from "./routers.js";

const POLL_MS = 1000;
const AUTO_OPEN_MAX = 6;
const OPEN_KEY = "switchyard.dashboard.open";

/** @type {Map<string, Series>} */
const series = new Map();
/** @type {Map<string, ServiceSection>} */
const sections = new Map();
const state = {
  polls: 0,
  reloadKey: "",
  sort: "name",
  filter: "",
  order: "",
  openSaved: loadOpen(),
  last: undefined,
};
/** @type {{rps?: ReturnType<typeof chart>, lat?: ReturnType<typeof chart>}} */
const topCharts = {};
const renderRouters = routerPanel(
  /** @type {HTMLElement} */ (document.getElementById("router-list")),
  seriesOf,
);

/** @param {string} key */
function seriesOf(key) {
  let s = series.get(key);
  if (!s) series.set(key, s = new Series());
  return s;
}

/** @returns {Set<string> | undefined} */
function loadOpen() {
  try {
    const v = sessionStorage.getItem(OPEN_KEY);
    return v ? new Set(JSON.parse(v)) : undefined;
  } catch {
    return undefined;
  }
}

function saveOpen() {
  try {
    const open = [...sections.values()].filter((s) => s.open).map((s) => s.key);
    sessionStorage.setItem(OPEN_KEY, JSON.stringify(open));
  } catch {
    // private mode: nothing to keep
  }
}

const observer = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const sec = sections.get(
      e.target.getAttribute("data-router") + " " + e.target.getAttribute("data-service"),
    );
    if (!sec) continue;
    sec.visible = e.isIntersecting;
    if (sec.visible && state.last) renderOne(sec, state.last);
  }
}, { rootMargin: "200px 0px" });

/** @param {ServiceSection} sec */
function toggle(sec) {
  sec.setOpen(!sec.open);
  saveOpen();
  if (sec.open && state.last) renderOne(sec, state.last);
}

/**
 * What a service section reads besides its own summary: histories and the router's clients.
 * @param {any} summary
 * @param {string} router
 */
function context(summary, router) {
  /** @type {Map<string, any>} */
  const clients = new Map();
  for (const r of summary.routers) {
    if (r.label === router) { for (const c of r.clients) clients.set(c.id, c); }
  }
  return {
    series: seriesOf,
    clients,
    epKey: (/** @type {string} */ id, /** @type {string} */ addr) => `ep ${router} ${id} ${addr}`,
  };
}

/** Re-renders one section from the last summary (when it opens or scrolls into view). */
function renderOne(sec, summary) {
  const r = summary.routers.find((x) => x.label === sec.router);
  const svc = r?.services.find((x) => x.name === sec.name);
  if (svc) sec.update(svc, context(summary, sec.router));
}

/** @param {string} k @param {string} text @param {number | string} raw @param {string} [c] @param {string} [hint] */
function card(k, text, raw, c, hint) {
  const box = document.querySelector(`#top .card[data-k="${k}"]`);
  if (!box) return;
  const b = /** @type {HTMLElement} */ (box.querySelector("b"));
  put(b, text, raw);
  if (c !== undefined) cls(b, c);
  if (hint !== undefined) put(/** @type {HTMLElement} */ (box.querySelector("i")), hint);
}

function renderTop(summary, x) {
  const top = summary.top;
  const s = seriesOf("top");
  s.push(x, summary.t, top.requests, top.success, top.lat);
  const r = s.rate();
  card(
    "sr",
    fmtSr(r.sr),
    r.sr ?? "",
    srClass(r.sr),
    r.sr === undefined ? "" : r.windowed ? "last 10 s" : "all time",
  );
  card("rps", fmtRate(r.rps), r.rps ?? "");
  card("requests", fmtInt(top.requests), top.requests);
  card("status4XX", fmtInt(top.status4XX), top.status4XX, top.status4XX ? "warn" : "");
  card("status5XX", fmtInt(top.status5XX), top.status5XX, top.status5XX ? "bad" : "");
  const has = top.lat.count > 0;
  for (const q of ["p50", "p95", "p99"]) {
    card(q, has ? fmtMs(top.lat[q]) : "—", has ? top.lat[q] : "");
  }
  drawTopCharts();
}

/** Creates the TOP LINE charts once uPlot is there, and redraws them from the history. */
function drawTopCharts() {
  if (!topCharts.rps && "uPlot" in globalThis) {
    topCharts.rps = chart(
      /** @type {HTMLElement} */ (document.getElementById("top-rps")),
      "volume",
      170,
    );
    topCharts.lat = chart(
      /** @type {HTMLElement} */ (document.getElementById("top-lat")),
      "latency",
      170,
    );
    performance.mark("dashboard-charts");
  }
  const s = seriesOf("top");
  topCharts.rps?.update(s);
  topCharts.lat?.update(s);
}

/** Feeds every scope's counters into its history (rates need every poll, open or not). */
function recordSeries(summary, x) {
  const seen = new Set(["top"]);
  const feed = (/** @type {string} */ key, /** @type {any} */ scope) => {
    seen.add(key);
    seriesOf(key).push(x, summary.t, scope.m.requests ?? 0, scope.m.success ?? 0, scope.lat);
  };
  for (const r of summary.routers) {
    for (const s of r.servers) feed(`srv ${r.label} ${s.addr}`, s);
    for (const s of r.services) feed(`svc ${r.label} ${s.name}`, s);
    for (const c of r.clients) {
      feed(`cl ${r.label} ${c.id}`, c);
      for (const e of c.endpoints) feed(`ep ${r.label} ${c.id} ${e.addr}`, e);
    }
  }
  // A scope the registry dropped (an idle client, a removed endpoint) takes its history along.
  for (const key of series.keys()) if (!seen.has(key)) series.delete(key);
}

function renderServices(summary) {
  const list = /** @type {HTMLElement} */ (document.getElementById("svc-list"));
  const total = summary.routers.reduce((a, r) => a + r.services.length, 0);
  const multi = summary.routers.filter((r) => r.services.length > 0).length > 1;
  const first = sections.size === 0;
  const seen = new Set();
  for (const r of summary.routers) {
    const ctx = context(summary, r.label);
    for (const svc of r.services) {
      const key = `${r.label} ${svc.name}`;
      seen.add(key);
      let sec = sections.get(key);
      if (!sec) {
        sec = new ServiceSection(r.label, svc.name, multi, toggle);
        sections.set(key, sec);
        const open = state.openSaved ? state.openSaved.has(key) : first && total <= AUTO_OPEN_MAX;
        if (open) sec.setOpen(true);
        list.append(sec.root);
        observer.observe(sec.root);
      }
      sec.showRouter(multi);
      sec.update(svc, ctx);
    }
  }
  // A service whose router a reload removed, or whose scope the registry dropped, goes too.
  for (const [key, sec] of sections) {
    if (!seen.has(key)) {
      observer.unobserve(sec.root);
      sec.setOpen(false);
      sec.root.remove();
      sections.delete(key);
    }
  }
  put(/** @type {HTMLElement} */ (document.getElementById("svc-count")), `${total} total`);
  /** @type {HTMLElement} */ (document.getElementById("svc-empty")).hidden = total > 0;
  applyOrder(list);
}

function applyOrder(list) {
  const all = [...sections.values()];
  const by = state.sort;
  all.sort((a, b) => {
    const d = by === "volume"
      ? b.sortValues.volume - a.sortValues.volume
      : by === "sr"
      ? a.sortValues.sr - b.sortValues.sr
      : by === "p99"
      ? b.sortValues.p99 - a.sortValues.p99
      : 0;
    return d !== 0 ? d : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
  const order = all.map((s) => s.key).join("\u0000");
  if (order !== state.order) {
    const frag = document.createDocumentFragment();
    for (const s of all) frag.append(s.root);
    list.append(frag);
    state.order = order;
  }
  const f = state.filter;
  for (const s of all) {
    const hide = f !== "" && !`${s.router} ${s.name}`.toLowerCase().includes(f);
    if (s.root.hidden !== hide) s.root.hidden = hide;
  }
}

function renderStatus(summary, ok) {
  const dot = /** @type {HTMLElement} */ (document.getElementById("live-dot"));
  const text = /** @type {HTMLElement} */ (document.getElementById("live-text"));
  cls(dot, ok ? "dot live" : "dot down");
  put(text, ok ? `live · ${new Date().toLocaleTimeString()}` : "disconnected · retrying");
  if (summary) {
    const p = summary.process;
    put(
      /** @type {HTMLElement} */ (document.getElementById("proc")),
      [
        `uptime ${fmtUptime(p.uptime)}`,
        `RSS ${fmtBytes(p.rss_bytes)}`,
        ...(summary.switchyard?.config_reloads
          ? [`config reloads ${summary.switchyard.config_reloads}`]
          : []),
        ...(summary.switchyard?.config_reload_failures
          ? [`rejected configs ${summary.switchyard.config_reload_failures}`]
          : []),
      ].join(" · "),
    );
  }
}

function render(summary) {
  const t0 = performance.now();
  const x = Date.now() / 1000;
  recordSeries(summary, x);
  renderTop(summary, x);
  renderRouters(summary);
  renderServices(summary);
  state.last = summary;
  state.polls++;
  const ms = performance.now() - t0;
  document.body.dataset.polls = String(state.polls);
  document.body.dataset.renderMs = ms.toFixed(1);
  if (state.polls === 1) {
    document.body.dataset.ready = "1";
    performance.mark("dashboard-ready");
  }
}

/** The summary the server put in the page, used once, so the first paint needs no request. */
function takeInitial() {
  const box = document.getElementById("initial-summary");
  const text = box?.textContent ?? "";
  if (box) box.textContent = "";
  try {
    return text.trim() ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

async function fetchSummary() {
  const rsp = await fetch("/admin/api/summary.json", { cache: "no-store" });
  if (!rsp.ok) throw new Error(`HTTP ${rsp.status}`);
  return await rsp.json();
}

/** Show why the last config reload was rejected (from `/admin/reload`), or nothing. */
async function renderReload(summary) {
  const sw = summary?.switchyard ?? {};
  const key = `${sw.config_reloads ?? 0}/${sw.config_reload_failures ?? 0}`;
  if (key === state.reloadKey) return;
  state.reloadKey = key;
  const box = /** @type {HTMLElement} */ (document.getElementById("reload-error"));
  if (!sw.config_reload_failures) {
    box.hidden = true;
    return;
  }
  try {
    const rsp = await fetch("/admin/reload", { cache: "no-store" });
    const st = rsp.ok ? await rsp.json() : undefined;
    const last = st?.lastAttempt;
    if (!last || last.ok) {
      box.hidden = true;
      return;
    }
    const lines = (last.errors ?? []).map((e) =>
      `${e.file}:${e.line}:${e.column}: ${e.path ? e.path + ": " : ""}${e.message}`
    );
    box.textContent =
      `Config reload rejected at ${last.at} — the previous config keeps serving.\n` +
      (lines.length ? lines.join("\n") : last.message);
    box.hidden = false;
  } catch {
    // the status endpoint exists only for `serve CONFIG`; nothing to show otherwise
  }
}

async function poll() {
  const started = performance.now();
  try {
    const summary = takeInitial() ?? await fetchSummary();
    render(summary);
    renderStatus(summary, true);
    void renderReload(summary);
  } catch (e) {
    renderStatus(undefined, false);
    console.warn("dashboard poll failed", e);
  } finally {
    setTimeout(poll, Math.max(100, POLL_MS - (performance.now() - started)));
  }
}

function wire() {
  const filter = /** @type {HTMLInputElement} */ (document.getElementById("filter"));
  filter.addEventListener("input", () => {
    state.filter = filter.value.trim().toLowerCase();
    applyOrder(/** @type {HTMLElement} */ (document.getElementById("svc-list")));
  });
  const sort = /** @type {HTMLSelectElement} */ (document.getElementById("sort"));
  sort.addEventListener("change", () => {
    state.sort = sort.value;
    applyOrder(/** @type {HTMLElement} */ (document.getElementById("svc-list")));
  });
  document.getElementById("expand-all")?.addEventListener("click", () => {
    for (const s of sections.values()) if (!s.root.hidden && !s.open) s.setOpen(true);
    saveOpen();
    // The observer reports the new layout a frame later; ask the layout now instead.
    if (!state.last) return;
    for (const s of sections.values()) {
      if (s.open && s.onScreen()) {
        s.visible = true;
        renderOne(s, state.last);
      }
    }
  });
  document.getElementById("collapse-all")?.addEventListener("click", () => {
    for (const s of sections.values()) if (s.open) s.setOpen(false);
    saveOpen();
  });
  // uPlot loads after this script (numbers first): draw the charts as soon as it has.
  document.addEventListener("DOMContentLoaded", () => {
    if (!state.last) return;
    drawTopCharts();
    for (const s of sections.values()) if (s.open && s.visible) renderOne(s, state.last);
  });
  document.addEventListener("toggle", (e) => {
    if (e.target instanceof HTMLDetailsElement && state.last) renderRouters(state.last);
  }, true);
  let pending = 0;
  addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      topCharts.rps?.resize();
      topCharts.lat?.resize();
      for (const s of sections.values()) s.resize();
    }, 150);
  });
}

performance.mark("dashboard-script");
wire();
poll();
