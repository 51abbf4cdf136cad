/**
 * The dashboard's static files, embedded in the binary: each is imported as text, so it is part
 * of the module graph and travels with `deno bundle` and `deno compile` like code does — no file
 * is read at run time, nothing is fetched from a CDN. uPlot (MIT, © Leon Sorokin) comes from its
 * npm package's prebuilt IIFE build (`uplot/dist/uPlot.iife.min.js`, ~50 KB), pinned in
 * package.json; it defines the global `uPlot`. `page.ts` inlines these into each page.
 *
 * @module
 */
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import indexHtml from "./index.html" with { type: "text" };
import delegatorHtml from "./delegator.html" with { type: "text" };
import styleCss from "./style.css" with { type: "text" };
import delegatorCss from "./delegator.css" with { type: "text" };
import commonJs from "./common.js" with { type: "text" };
import seriesJs from "./series.js" with { type: "text" };
import chartsJs from "./charts.js" with { type: "text" };
import tableJs from "./table.js" with { type: "text" };
import routersJs from "./routers.js" with { type: "text" };
import servicesJs from "./services.js" with { type: "text" };
import dashboardJs from "./dashboard.js" with { type: "text" };
import delegatorJs from "./delegator.js" with { type: "text" };
import faviconSvg from "./favicon.svg" with { type: "text" };

/** The two pages, as written (they link their files under `/dashboard/`). */
export interface DashboardSources {
  /** The dashboard, `/`. */
  readonly index: string;
  /** The dtab playground, `/delegator`. */
  readonly delegator: string;
  /** The icon both pages link. */
  readonly favicon: string;
  /** File name → text of every style and script the pages link or import. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * The embedded sources of the dashboard's pages.
 *
 * @returns The pages, the icon and the linked files.
 * @example
 * ```ts
 * import { dashboardSources } from "./assets.ts";
 * Object.keys(dashboardSources().files).includes("uplot.iife.min.js"); // true
 * ```
 */
export function dashboardSources(): DashboardSources {
  return {
    index: indexHtml,
    delegator: delegatorHtml,
    favicon: faviconSvg,
    files: {
      "style.css": styleCss,
      "delegator.css": delegatorCss,
      "uplot.min.css": uplotCss,
      "uplot.iife.min.js": uplotJs,
      "common.js": commonJs,
      "series.js": seriesJs,
      "charts.js": chartsJs,
      "table.js": tableJs,
      "routers.js": routersJs,
      "services.js": servicesJs,
      "dashboard.js": dashboardJs,
      "delegator.js": delegatorJs,
    },
  };
}
