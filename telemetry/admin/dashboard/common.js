// Helpers shared by the dashboard and the dtab playground (browser ES module, no dependencies).

/**
 * Creates an element with a class and text (text only: no HTML is ever parsed from data).
 * @param {string} tag
 * @param {string} [cls]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * Sets an element's text and its raw value (`data-v`) only when they changed, so a poll that
 * changes nothing touches nothing.
 * @param {Element} e
 * @param {string} text
 * @param {number | string} [raw]
 */
export function put(e, text, raw) {
  if (e.textContent !== text) e.textContent = text;
  if (raw !== undefined) {
    const v = String(raw);
    if (e.getAttribute("data-v") !== v) e.setAttribute("data-v", v);
  }
}

/**
 * Replaces an element's class list when it changed.
 * @param {Element} e
 * @param {string} cls
 */
export function cls(e, cls) {
  if (e.className !== cls) e.className = cls;
}

const intFmt = new Intl.NumberFormat("en-US");

/** @param {number} n */
export function fmtInt(n) {
  return intFmt.format(Math.round(n));
}

/** Requests per second: one decimal below 100, none above. @param {number | undefined} r */
export function fmtRate(r) {
  if (r === undefined || !Number.isFinite(r)) return "—";
  if (r === 0) return "0";
  if (r < 0.1) return "<0.1";
  return r < 100 ? r.toFixed(1) : fmtInt(r);
}

/**
 * Milliseconds with sensible precision, always in ms (every place that shows one says "ms": a
 * card's unit, a column's header), so 12 s is "12,000". @param {number | undefined} ms
 */
export function fmtMs(ms) {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1) return ms.toFixed(2);
  if (ms < 10) return ms.toFixed(1);
  return fmtInt(ms);
}

/** A success ratio (0…1) as a percentage. @param {number | undefined} sr */
export function fmtSr(sr) {
  if (sr === undefined || !Number.isFinite(sr)) return "—";
  return (sr * 100).toFixed(2) + "%";
}

/** Colour class of a success ratio. @param {number | undefined} sr */
export function srClass(sr) {
  if (sr === undefined || !Number.isFinite(sr)) return "dim";
  if (sr >= 0.995) return "good";
  if (sr >= 0.95) return "warn";
  return "bad";
}

/** Bytes, human. @param {number | undefined} b */
export function fmtBytes(b) {
  if (b === undefined) return "—";
  if (b < 1024 * 1024) return (b / 1024).toFixed(0) + " KiB";
  return (b / 1024 / 1024).toFixed(0) + " MiB";
}

/** A duration in ms as `3d 4h`, `5m 12s`. @param {number | undefined} ms */
export function fmtUptime(ms) {
  if (ms === undefined) return "—";
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}
