// Per router: its listeners (server stats) and, folded, its bound clients.
import { el, fmtInt, fmtMs, fmtRate, fmtSr, put, srClass } from "./common.js";
import { KeyedTable } from "./table.js";

/**
 * Draws one block per router into `list` and refreshes it from each summary.
 * @param {HTMLElement} list
 * @param {(key: string) => import("./series.js").Series} seriesOf
 */
export function routerPanel(list, seriesOf) {
  /** @type {Map<string, any>} */
  const blocks = new Map();
  return (/** @type {any} */ summary) => {
    for (const r of summary.routers) update(r);
    // A router a config reload removed is gone from the summary: its block goes too.
    const live = new Set(summary.routers.map((/** @type {any} */ r) => r.label));
    for (const [label, b] of blocks) {
      if (!live.has(label)) {
        b.root.remove();
        blocks.delete(label);
      }
    }
  };

  /** @param {any} r */
  function update(r) {
    let b = blocks.get(r.label);
    if (!b) {
      const root = el("div", "router");
      root.setAttribute("data-router", r.label);
      const h = el("h3", "", r.label);
      const summaryTag = el("span", "tag");
      h.append(summaryTag);
      const servers = new KeyedTable(
        [
          "Listener",
          "Connections",
          "In flight",
          "Req/s",
          "Requests",
          "Success",
          "4XX",
          "5XX",
          "p50 ms",
          "p99 ms",
        ],
        "data-server",
      );
      const det = /** @type {HTMLDetailsElement} */ (el("details", "clients"));
      const sum = el("summary", "", "Clients");
      const clients = new KeyedTable(
        ["Client", "Endpoints", "Req/s", "Requests", "Success", "p99 ms"],
        "data-client",
      );
      det.append(sum, clients.root);
      root.append(h, servers.root, det);
      list.append(root);
      b = { root, servers, clients, summary: summaryTag, clientsSummary: sum };
      blocks.set(r.label, b);
    }
    put(b.summary, `${r.services.length} services · ${r.clients.length} clients`);
    put(b.clientsSummary, `Clients (${r.clients.length})`);
    b.servers.update(r.servers.map((s) => {
      const rate = seriesOf(`srv ${r.label} ${s.addr}`).rate();
      const lat = s.lat && s.lat.count > 0 ? s.lat : undefined;
      return {
        key: s.addr,
        cells: [
          { text: s.addr.replace("/", ":"), k: "addr" },
          { text: fmtInt(s.m.connections ?? 0), raw: s.m.connections ?? 0, k: "connections" },
          { text: fmtInt(s.m.pending ?? 0), raw: s.m.pending ?? 0, k: "pending" },
          { text: fmtRate(rate.rps), raw: rate.rps ?? "", k: "rps" },
          { text: fmtInt(s.m.requests ?? 0), raw: s.m.requests ?? 0, k: "requests" },
          { text: fmtSr(rate.sr), raw: rate.sr ?? "", cls: srClass(rate.sr), k: "sr" },
          { text: fmtInt(s.m["status/4XX"] ?? 0), raw: s.m["status/4XX"] ?? 0, k: "4XX" },
          { text: fmtInt(s.m["status/5XX"] ?? 0), raw: s.m["status/5XX"] ?? 0, k: "5XX" },
          { text: fmtMs(lat?.p50), raw: lat?.p50 ?? "", k: "p50" },
          { text: fmtMs(lat?.p99), raw: lat?.p99 ?? "", k: "p99" },
        ],
      };
    }));
    const det = /** @type {HTMLDetailsElement} */ (b.root.querySelector("details"));
    if (det.open) {
      b.clients.update(r.clients.map((c) => {
        const rate = seriesOf(`cl ${r.label} ${c.id}`).rate();
        const lat = c.lat && c.lat.count > 0 ? c.lat : undefined;
        const size = c.m["loadbalancer/size"];
        return {
          key: c.id,
          cells: [
            { text: `/${c.id}`, k: "id" },
            {
              text: size === undefined
                ? String(c.endpoints.length)
                : `${c.m["loadbalancer/available"] ?? 0}/${size}`,
              k: "lb",
            },
            { text: fmtRate(rate.rps), raw: rate.rps ?? "", k: "rps" },
            { text: fmtInt(c.m.requests ?? 0), raw: c.m.requests ?? 0, k: "requests" },
            { text: fmtSr(rate.sr), raw: rate.sr ?? "", cls: srClass(rate.sr), k: "sr" },
            { text: fmtMs(lat?.p99), raw: lat?.p99 ?? "", k: "p99" },
          ],
        };
      }));
    }
  }
}
