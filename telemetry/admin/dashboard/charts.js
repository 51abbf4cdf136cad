// uPlot charts in the dashboard's dark theme. uPlot (MIT, ~50 KB) is served by the admin server
// from the copy embedded in the binary (`/dashboard/uplot.iife.min.js`), so there is no network.

const IDLE = "#3a4350";
const GRID = "rgba(240, 246, 252, 0.06)";
const AXIS = "#8b949e";
const FONT = "11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

const SPAN_S = 300;
const MIN_SPAN_S = 60;

/** Seconds since the epoch as local HH:MM (HH:MM:SS when not on a minute). @param {number} v */
function clock(v) {
  const d = new Date(v * 1000);
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0");
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  return d.getSeconds() ? `${hm}:${p(d.getSeconds())}` : hm;
}

export const COLORS = {
  total: "#58a6ff",
  fail: "#f85149",
  sr: "#3fb950",
  p50: "#58a6ff",
  p95: "#bc8cff",
  p99: "#f0883e",
};

/** @param {string} hex @param {number} a */
function alpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

/** @param {"left" | "right"} side @param {string} [scale] @param {(v: number) => string} [fmt] */
function yAxis(side, scale, fmt) {
  return {
    scale,
    side: side === "left" ? 3 : 1,
    stroke: AXIS,
    font: FONT,
    size: 46,
    gap: 4,
    grid: { show: side === "left", stroke: GRID, width: 1 },
    ticks: { show: false },
    values: fmt ? (_u, vals) => vals.map((v) => (v == null ? "" : fmt(v))) : undefined,
  };
}

/** @param {number} v */
function compact(v) {
  if (Math.abs(v) >= 1000) return (v / 1000).toFixed(v % 1000 === 0 ? 0 : 1) + "k";
  return String(+v.toFixed(2));
}

/** @param {string} label @param {string} color @param {string} [scale] @param {number} [fill] */
function line(label, color, scale, fill) {
  return {
    label,
    stroke: color,
    width: 1.5,
    scale,
    fill: fill ? alpha(color, fill) : undefined,
    points: { show: false },
    spanGaps: false,
    value: (_u, v) => (v == null ? "—" : compact(v)),
  };
}

const KINDS = {
  volume: {
    series: [line("req/s", COLORS.total, "y", 0.14), line("failed/s", COLORS.fail, "y", 0.22)],
    axes: [yAxis("left", "y", compact)],
    scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    /** @param {import("./series.js").Series} s */
    data: (s) => [s.x, s.rps, s.rpsFail],
  },
  latency: {
    series: [
      line("p50", COLORS.p50, "y"),
      line("p95", COLORS.p95, "y"),
      line("p99", COLORS.p99, "y"),
    ],
    axes: [yAxis("left", "y", compact)],
    scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    /** @param {import("./series.js").Series} s */
    data: (s) => [s.x, s.p50, s.p95, s.p99],
  },
  service: {
    series: [line("success %", COLORS.sr, "sr"), line("req/s", COLORS.total, "y", 0.12)],
    axes: [yAxis("left", "sr", (v) => v + "%"), yAxis("right", "y", compact)],
    scales: {
      sr: { range: (_u, min) => [Math.max(0, Math.min(90, Math.floor((min ?? 100) - 2))), 100] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] },
    },
    /** @param {import("./series.js").Series} s */
    data: (s) => [s.x, s.srPct, s.rps],
  },
};

/**
 * A chart of one kind bound to a container; `update(series)` redraws it with the series' data.
 * @param {HTMLElement} container
 * @param {"volume" | "latency" | "service"} kind
 * @param {number} [height]
 */
export function chart(container, kind, height = 150) {
  const k = KINDS[kind];
  // @ts-ignore: uPlot is the global the embedded IIFE build defines
  const UPlot = globalThis.uPlot;
  const width = Math.max(200, container.clientWidth);
  const opts = {
    width,
    height,
    padding: [6, 4, 0, 0],
    cursor: { drag: { x: false, y: false }, points: { size: 5 } },
    legend: { live: true },
    scales: {
      x: { time: true },
      ...k.scales,
    },
    axes: [
      {
        stroke: AXIS,
        font: FONT,
        size: 22,
        space: 70,
        grid: { stroke: GRID, width: 1 },
        ticks: { show: false },
        values: (_u, vals) => vals.map((v) => clock(v)),
      },
      ...k.axes,
    ],
    series: [{}, ...k.series],
  };
  const plot = new UPlot(opts, [[], ...k.series.map(() => [])], container);
  let lastWidth = width;
  return {
    /** @param {import("./series.js").Series} s */
    update(s) {
      plot.setData(k.data(s), false);
      // The history so far, at least a minute and at most five: time runs at one pace.
      const max = s.x.length ? s.x[s.x.length - 1] : Date.now() / 1000;
      const span = Math.min(SPAN_S, Math.max(MIN_SPAN_S, max - (s.x[0] ?? max)));
      plot.setScale("x", { min: max - span, max });
    },
    resize() {
      const w = Math.max(200, container.clientWidth);
      if (w !== lastWidth) plot.setSize({ width: w, height });
      lastWidth = w;
    },
    destroy() {
      plot.destroy();
    },
  };
}

/**
 * Draws a request-volume sparkline on a small canvas (no library: one path per row).
 * @param {HTMLCanvasElement} canvas
 * @param {(number | null)[]} values
 * @param {string} color
 */
export function sparkline(canvas, values, color) {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = canvas.clientWidth || 120;
  const h = canvas.clientHeight || 24;
  if (canvas.width !== w * dpr) canvas.width = w * dpr;
  if (canvas.height !== h * dpr) canvas.height = h * dpr;
  const g = canvas.getContext("2d");
  if (!g) return;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const n = values.length;
  if (n < 2) return;
  let max = 0;
  for (const v of values) if (v !== null && v > max) max = v;
  if (max === 0) color = IDLE; // no traffic: a quiet baseline, not a coloured one
  const step = w / (Math.max(MIN_SPAN_S, n) - 1);
  const x0 = w - (n - 1) * step;
  const y = (/** @type {number | null} */ v) => h - 1 - ((v ?? 0) / (max || 1)) * (h - 3);
  g.beginPath();
  g.moveTo(x0, h);
  for (let i = 0; i < n; i++) g.lineTo(x0 + i * step, y(values[i]));
  g.lineTo(w, h);
  g.closePath();
  g.fillStyle = alpha(color, 0.18);
  g.fill();
  g.beginPath();
  for (let i = 0; i < n; i++) {
    const px = x0 + i * step;
    if (i === 0) g.moveTo(px, y(values[i]));
    else g.lineTo(px, y(values[i]));
  }
  g.strokeStyle = color;
  g.lineWidth = 1.25;
  g.stroke();
}
