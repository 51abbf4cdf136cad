/**
 * Folder-private helpers for the Prometheus text exposition format (version 0.0.4): families
 * grouped under one `# HELP`/`# TYPE` pair each, label and value escaping, number formatting.
 *
 * @module
 */

/** A Prometheus metric type as written on a `# TYPE` line. */
export type PromType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

/** Label pairs in output order. */
export type Labels = readonly (readonly [string, string])[];

interface Family {
  readonly type: PromType;
  readonly help: string;
  readonly lines: string[];
}

/** Collects samples by family, so each family is written once, contiguously. */
export class Families {
  readonly #byName = new Map<string, Family>();
  /** Between labels: Linkerd writes `", "`, most exporters `","`. */
  readonly separator: string;

  /** @param separator Between labels. */
  constructor(separator: string) {
    this.separator = separator;
  }

  /**
   * Adds one sample line to `family` (created with `type` and `help` on first use).
   * `labels` is a body from {@link Families.labels}, rendered once per series; `extra` one more
   * pre-rendered pair (`quantile="0.5"`, `le="0.005"`).
   */
  add(
    family: string,
    meta: { readonly type: PromType; readonly help: string },
    sample: string,
    labels: string,
    value: number | string,
    extra = "",
  ): void {
    let f = this.#byName.get(family);
    if (f === undefined) {
      f = { type: meta.type, help: meta.help, lines: [] };
      this.#byName.set(family, f);
    }
    const body = labels === "" ? extra : extra === "" ? labels : labels + this.separator + extra;
    f.lines.push(
      `${sample}${body === "" ? "" : `{${body}}`} ${
        typeof value === "string" ? value : formatValue(value)
      }`,
    );
  }

  /** `a="x", b="y"` (no braces), values escaped. */
  labels(labels: Labels): string {
    return labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(this.separator);
  }

  /** The exposition text: families sorted by name, samples in insertion order. */
  render(): string {
    const out: string[] = [];
    for (const name of [...this.#byName.keys()].sort()) {
      const f = this.#byName.get(name) as Family;
      out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.lines);
    }
    return out.length === 0 ? "" : `${out.join("\n")}\n`;
  }
}

/** Escapes `\`, `"` and newline in a label value. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A sample value: `NaN`, `+Inf`, `-Inf`, or the shortest decimal form. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/**
 * A sample value as Java's `Double.toString` writes it, the way Linkerd prints gauges and
 * averages: `1.0`, `1.5`, `1.0E7`, `1.0E-4` (non-finite values as {@link formatValue}).
 *
 * @example
 * ```ts
 * import { formatJavaDouble } from "./_prom_text.ts";
 * formatJavaDouble(2); // "2.0"
 * ```
 */
export function formatJavaDouble(v: number): string {
  if (!Number.isFinite(v)) return formatValue(v);
  const a = Math.abs(v);
  if (a === 0 || (a >= 1e-3 && a < 1e7)) {
    const s = String(v === 0 ? 0 : v);
    return s.includes(".") ? s : `${s}.0`;
  }
  const [mant, exp] = v.toExponential().split("e") as [string, string];
  return `${mant.includes(".") ? mant : `${mant}.0`}E${exp.replace("+", "")}`;
}

/** Rounds a latency-like value to 3 decimals (µs when the unit is ms). */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Reads a counter or gauge, or undefined when a computed gauge throws. */
export function readValue(m: { readonly value: number }): number | undefined {
  try {
    return m.value;
  } catch {
    return undefined;
  }
}

function escapeHelp(s: string): string {
  return s.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

const HELP: Record<string, string> = {
  requests: "Requests completed.",
  success: "Requests the response classifier called a success.",
  failures: "Requests classified as failures.",
  pending: "Requests in flight.",
  connections: "Open connections.",
  connects: "Connections accepted.",
  request_latency_ms: "Request latency in milliseconds.",
  uptime: "Process uptime in milliseconds.",
  rss_bytes: "Resident set size in bytes.",
  heap_used_bytes: "V8 heap in use, in bytes.",
};

/** A HELP text for a metric from its name parts (`["status", "5XX"]`), generic when unknown. */
export function helpFor(rest: readonly string[], family: string): string {
  const head = rest[0] ?? "";
  if (head === "status") return "Responses by HTTP status code or class (error: no response).";
  if (head === "failures" && rest.length > 1) return "Failures by reason.";
  return HELP[rest.join("/")] ?? HELP[rest[rest.length - 1] ?? ""] ??
    `Switchyard metric ${family}.`;
}
