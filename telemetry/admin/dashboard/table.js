// A table whose rows are keyed, so a poll updates cells in place instead of rebuilding the DOM.
import { cls, el, put } from "./common.js";

/**
 * @typedef {{text: string, raw?: number | string, cls?: string, k?: string}} Cell
 * @typedef {{key: string, cells: Cell[]}} Row
 */

export class KeyedTable {
  /**
   * @param {string[]} headers column titles (the first column is left-aligned)
   * @param {string} [attr] the row attribute that carries the key, e.g. `data-endpoint`
   */
  constructor(headers, attr = "data-key") {
    this.attr = attr;
    // The table scrolls sideways inside its box when the window is narrower than its columns.
    this.root = el("div", "table-wrap");
    const table = el("table");
    const head = el("tr");
    for (const h of headers) head.append(el("th", "", h));
    const thead = el("thead");
    thead.append(head);
    this.body = el("tbody");
    table.append(thead, this.body);
    this.root.append(table);
    /** @type {Map<string, {tr: HTMLElement, tds: HTMLElement[]}>} */
    this.rows = new Map();
    /** @type {string[]} */
    this.order = [];
  }

  /** @param {Row[]} rows in display order */
  update(rows) {
    const seen = new Set();
    for (const r of rows) {
      seen.add(r.key);
      let row = this.rows.get(r.key);
      if (!row) {
        const tr = el("tr");
        tr.setAttribute(this.attr, r.key);
        const tds = r.cells.map((c) => {
          const td = el("td");
          if (c.k) td.setAttribute("data-k", c.k);
          tr.append(td);
          return td;
        });
        row = { tr, tds };
        this.rows.set(r.key, row);
      }
      r.cells.forEach((c, i) => {
        const td = row.tds[i];
        if (!td) return;
        put(td, c.text, c.raw);
        cls(td, c.cls ?? "");
      });
    }
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) {
        row.tr.remove();
        this.rows.delete(key);
      }
    }
    const order = rows.map((r) => r.key);
    if (order.join("\u0000") !== this.order.join("\u0000")) {
      const frag = document.createDocumentFragment();
      for (const key of order) frag.append(/** @type {HTMLElement} */ (this.rows.get(key)?.tr));
      this.body.append(frag);
      this.order = order;
    }
  }
}
