/**
 * The benchmark report: a Markdown document (machine, mode, the matrix table, the targets as
 * PASS/FAIL/n/a lines, the extra runs, notes) built from the JSON result.
 *
 * @module
 */
import type { EnvInfo } from "./env_info.ts";
import type { MatrixResult } from "./matrix.ts";
import type { Cell } from "./summary.ts";
import { type Goal, goalLines } from "./goals.ts";
import type { IdleResult } from "./extras/idle.ts";
import type { StreamResult } from "./extras/stream.ts";
import type { ScaleResult } from "./extras/scale.ts";
import type { FailureResult } from "./extras/failure.ts";

/** Everything a benchmark run produced (written as `summary.json`). */
export interface BenchResult {
  readonly stamp: string;
  readonly mode: string;
  /** The settings used (durations, connections, pinning, ...). */
  readonly settings: Record<string, unknown>;
  readonly env: EnvInfo;
  readonly matrix?: MatrixResult | undefined;
  readonly idle?: IdleResult | undefined;
  readonly stream?: StreamResult | undefined;
  readonly scale?: ScaleResult | undefined;
  readonly failure?: FailureResult | undefined;
  readonly goals: readonly Goal[];
  readonly notes: readonly string[];
  /** PIDs of every process the harness started (all stopped when it exits). */
  readonly pids: readonly number[];
}

function n(x: number | null | undefined, d = 0): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d);
}

function ms(us: number | null | undefined, d = 3): string {
  return us === null || us === undefined ? "–" : (us / 1000).toFixed(d);
}

function signedMs(us: number | null | undefined): string {
  if (us === null || us === undefined) return "–";
  return `${us >= 0 ? "+" : ""}${(us / 1000).toFixed(3)}`;
}

function x(v: number | null): string {
  return v === null ? "–" : `${v.toFixed(2)}×`;
}

/**
 * The matrix as a Markdown table.
 *
 * @returns table lines
 */
export function matrixTable(cells: readonly Cell[]): string[] {
  const out = [
    "| target | body | conns | req/s | ×nginx | ×haproxy | p50 ms | p99 ms | +p50 ms | +p99 ms | CPU µs/req | of it kernel | CPU ×nginx | peak RSS MiB | errors | runs |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  const sorted = [...cells].sort((a, b) => a.body.localeCompare(b.body) * -1 || a.conns - b.conns);
  for (const c of sorted) {
    const mark = c.only_contaminated ? " ⚠" : "";
    out.push(
      `| ${c.target}${mark} | ${c.body} | ${c.conns} | ${n(c.rps)} | ${x(c.x_nginx)} | ${
        x(c.x_haproxy)
      } | ${ms(c.p50_us)} | ${ms(c.p99_us)} | ${signedMs(c.added_p50_us)} | ${
        signedMs(c.added_p99_us)
      } | ${n(c.proxy_cpu_us_per_req, 1)} | ${n(c.proxy_sys_us_per_req, 1)} | ${
        x(c.cpu_x_nginx)
      } | ${n(c.peak_rss_mib, 1)} | ${c.errors} | ${c.n}${
        c.contaminated_runs && !c.only_contaminated ? ` (+${c.contaminated_runs} redone)` : ""
      } |`,
    );
  }
  return out;
}

/**
 * Render the whole report.
 *
 * @returns Markdown text
 */
export function renderReport(r: BenchResult): string {
  const e = r.env;
  const s = r.settings;
  const L: string[] = [
    `# Switchyard benchmark ${r.stamp} (${r.mode})`,
    "",
    `- machine: ${e.cpus} × ${e.cpu_model || "unknown CPU"}, ${e.mem_gib} GiB, ${e.host}; ` +
    `load average at start ${e.loadavg}`,
    `- software: Deno ${e.deno}, nginx ${e.nginx}, HAProxy ${e.haproxy}, wrk ${e.wrk}` +
    `${e.caddy ? `, Caddy ${e.caddy}` : ""}; tree ${e.git || "unknown"}`,
    `- pinning: ${s.pinning}`,
  ];
  if (r.matrix) {
    L.push(
      `- load: wrk -t1 over loopback, ${s.durationS} s per run after ${s.warmupS} s warm-up ` +
        `per cell, ${s.reps} repetition(s), target order reversed every other repetition; ` +
        `medians shown`,
    );
  }
  L.push("");
  if (r.matrix) {
    L.push("## Throughput and latency", "");
    L.push(...matrixTable(r.matrix.cells), "");
    L.push(
      "req/s, p50 and p99 are medians over repetitions (wrk's exact histogram); +p50/+p99 are " +
        "added over the direct path (wrk → origin); CPU µs/req is the proxy's utime+stime (all " +
        'its processes) per request, "of it kernel" its stime part (the socket work: user ' +
        "space is the rest); peak RSS is sampled every 200 ms. ⚠ = every run of the " +
        "cell was disturbed by other tenants of the machine.",
      "",
    );
    for (const t of r.matrix.targets) {
      L.push(`- \`${t.name}\`: ${t.description}`);
    }
    if (r.matrix.switchyardStartRssKib !== null) {
      L.push(
        `- Switchyard idle RSS 2–4 s after start, before load: ${
          n(r.matrix.switchyardStartRssKib / 1024, 1)
        } MiB`,
      );
    }
    L.push("");
  }
  L.push("## Targets (goals of issue 6; not test assertions)", "", "```");
  L.push(...goalLines(r.goals), "```", "");
  if (r.idle) {
    L.push(
      "## Idle",
      "",
      `Started (spawn → first 200) in ${n(r.idle.startup_ms)} ms; idle RSS ${
        n(r.idle.idle_rss_mib, 1)
      } MiB; after 1000 requests and a 3 s rest ${n(r.idle.after_traffic_rss_mib, 1)} MiB.`,
      "",
    );
  }
  if (r.stream) {
    L.push(
      "## Streaming through Switchyard",
      "",
      "| direction | bytes | MiB/s | RSS before | peak | delta | after | status |",
      "|---|--:|--:|--:|--:|--:|--:|---|",
    );
    for (const g of r.stream.legs) {
      L.push(
        `| ${g.direction} | ${g.bytes_transferred} | ${n(g.mib_per_s)} | ${
          n(g.rss_before_mib, 1)
        } | ${n(g.rss_peak_mib, 1)} | +${n(g.rss_delta_mib, 1)} | ${n(g.rss_after_mib, 1)} | ${
          g.error ?? g.status
        } |`,
      );
    }
    L.push("");
  }
  if (r.scale) {
    const c = r.scale;
    L.push(
      `## Scale: ${c.services} services × ${c.endpoints_per_service} endpoints`,
      "",
      // Two baselines: one service after as many requests as the all-services process served
      // (the goal's: extra = what the services cost), and after one request (the older
      // definition, which also counts the warm-up of serving ~2000 requests).
      "| RSS | MiB |",
      "|---|--:|",
      `| baseline: one service, after as many requests | ${n(c.baseline_rss_mib, 1)} |`,
      `| baseline: one service, after one request | ${n(c.baseline_cold_rss_mib, 1)} |`,
      `| all services, idle | ${n(c.idle_rss_mib, 1)} |`,
      `| all services, one used | ${n(c.one_used_rss_mib, 1)} |`,
      `| all services, all used | ${n(c.all_used_rss_mib, 1)} |`,
      `| **extra** (all used − baseline after as many requests) | +${n(c.extra_mib, 1)} |`,
      `| extra over the baseline after one request | +${n(c.extra_vs_cold_mib, 1)} |`,
      `| per used service (all used − one used), KiB | ${n(c.kib_per_service, 1)} |`,
      `| baseline: one service, after ${c.baseline_loaded_passes ?? "?"} wrk passes | ${
        n(c.baseline_loaded_rss_mib ?? null, 1)
      } |`,
      `| all services, after the load passes (every endpoint served) | ${
        n(c.all_loaded_rss_mib ?? null, 1)
      } |`,
      `| **extra under load** (the goal's) | +${n(c.extra_loaded_mib ?? null, 1)} |`,
      "",
      `- time to first byte of a new name: p50 ${n(c.new_name_ttfb_ms.p50, 2)} ms, p99 ${
        n(c.new_name_ttfb_ms.p99, 2)
      } ms, max ${n(c.new_name_ttfb_ms.max, 2)} ms (warm: p50 ${n(c.warm_ttfb_ms.p50, 2)} ms, p99 ${
        n(c.warm_ttfb_ms.p99, 2)
      } ms); errors ${c.new_name_errors}`,
      "",
      "| active services | req/s | p50 ms | p99 ms | CPU µs/req | first pass CPU µs/req | errors |",
      "|--:|--:|--:|--:|--:|--:|--:|",
      ...c.load.map((l) =>
        `| ${l.services} | ${n(l.rps)} | ${ms(l.p50_us)} | ${ms(l.p99_us)} | ${
          n(l.cpu_us_per_req, 1)
        } | ${n(l.first_pass_cpu_us_per_req ?? null, 1)} | ${l.errors} |`
      ),
      "",
      `- CPU per request with ${c.services} active services ÷ with 1, per measured pair ` +
        `(adjacent passes, order alternated): ${
          (c.cpu_ratios ?? []).map((x) => `${n(x, 2)}×`).join(", ") || "none"
        }; median ${n(c.cpu_ratio ?? null, 2)}× (the goal's number). CPU µs/req above is the ` +
        `median of the passes (${
          c.load.map((l) =>
            `${l.services}: ${(l.passes_cpu_us_per_req ?? []).map((x) => n(x, 1)).join(", ")}`
          ).join("; ")
        }).`,
      "",
    );
  }
  if (r.failure) {
    const f = r.failure;
    L.push(
      `## Latency under failure (1 of 3 endpoints bad, c=${f.conns}, slow = ${f.slow_ms} ms)`,
      "",
      "| scenario | target | req/s | p50 ms | p99 ms | p99.9 ms | errors % | CPU µs/req |",
      "|---|---|--:|--:|--:|--:|--:|--:|",
      ...f.runs.map((g) =>
        g.failed
          ? `| ${g.scenario} | ${g.target} | failed: ${g.failed} | | | | | |`
          : `| ${g.scenario} | ${g.target} | ${n(g.rps)} | ${ms(g.p50_us)} | ${ms(g.p99_us)} | ${
            ms(g.p999_us)
          } | ${n(g.error_pct, 2)} | ${n(g.cpu_us_per_req, 1)} |`
      ),
      "",
      "nginx: `proxy_next_upstream error timeout http_500 http_502 http_503`, 3 tries, " +
        "`max_fails=1 fail_timeout=10s`, `least_conn`; HAProxy: `retry-on conn-failure " +
        "empty-response response-timeout 500 502 503`, `retries 2`, `option redispatch`, " +
        "`balance leastconn`; Switchyard: the default stack. Each target starts afresh for each " +
        `scenario and is measured after ${f.warmup_s ?? 0} s of the same load.`,
      "",
    );
  }
  const notes = [...r.notes, ...(r.matrix?.notes ?? [])];
  if (notes.length) L.push("## Notes", "", ...notes.map((t) => `- ${t}`), "");
  return L.join("\n");
}
