/**
 * Draw the delegator's explanation tree (`router/dtab/delegate.ts`, the JSON of
 * `/delegator.json`) for a terminal: one line per step, indented with tree lines, the dentry
 * that produced each step, why a branch is negative or failed, and the endpoints a leaf binds.
 *
 * ```
 * /svc/hello
 * └─ /#/io.l5d.fs/hello  ✓ 2 endpoints: 127.0.0.1:7777, 127.0.0.1:7778   via /svc=>/#/io.l5d.fs
 * ```
 *
 * @example
 * ```ts
 * import { renderDelegateTree } from "./delegate_tree.ts";
 * import { style } from "./_term.ts";
 * renderDelegateTree({ type: "neg", path: "/svc/x", dentry: null, why: "no dentry matches /svc/x" }, style(false));
 * // ["/svc/x  ✗ neg: no dentry matches /svc/x"]
 * ```
 *
 * @module
 */
import type { DelegateDentry, DelegateNode } from "../dtab/mod.ts";
import type { Style } from "./_term.ts";

function dentryText(d: DelegateDentry | null): string {
  return d === null ? "" : `${d.prefix}=>${d.dst}`;
}

function endpoints(node: DelegateNode & { type: "leaf" }, s: Style): string {
  const addr = node.bound.addr;
  if (addr.type === "bound" && addr.addrs.length > 0) {
    const list = addr.addrs.slice(0, 5).map((a) =>
      a.ip.includes(":") ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`
    );
    const more = addr.addrs.length > 5 ? `, … (${addr.addrs.length - 5} more)` : "";
    const n = addr.addrs.length;
    return s.green(`✓ ${n} endpoint${n === 1 ? "" : "s"}: ${list.join(", ")}${more}`);
  }
  const why = node.why ?? `addr is ${addr.type}`;
  if (addr.type === "pending" || (addr.type === "bound" && addr.addrs.length === 0)) {
    return s.yellow(`… ${why}`);
  }
  return s.red(`✗ ${why}`);
}

function describe(node: DelegateNode, s: Style): string {
  switch (node.type) {
    case "delegate":
      return node.path;
    case "alt":
      return `${node.path}  ${s.dim("alternatives: the first that binds wins")}`;
    case "union":
      return `${node.path}  ${s.dim("union: split by weight")}`;
    case "leaf": {
      const id = node.bound.id === node.path ? "" : ` → ${node.bound.id}`;
      const residual = node.bound.path !== "/" ? s.dim(` (residual ${node.bound.path})`) : "";
      return `${node.path}${id}${residual}  ${endpoints(node, s)}`;
    }
    case "neg":
      return `${node.path}  ${s.red(`✗ neg: ${node.why}`)}`;
    case "fail":
      return `${node.path}  ${s.red(`✗ fail: ${node.why}`)}`;
    case "empty":
      return `${node.path}  ${s.yellow("∅ empty: the name exists but has no endpoints")}`;
    case "exception":
      return node.message === "pending"
        ? `${node.path}  ${s.yellow(`… pending: ${node.why}`)}`
        : `${node.path}  ${s.red(`✗ error: ${node.message} (${node.why})`)}`;
  }
}

function children(node: DelegateNode): { label: string; node: DelegateNode }[] {
  switch (node.type) {
    case "delegate":
      return [{ label: "", node: node.delegate }];
    case "alt":
      return node.alt.map((n) => ({ label: "", node: n }));
    case "union": {
      const total = node.union.reduce((a, w) => a + w.weight, 0);
      return node.union.map((w) => ({
        label: `${w.weight} (${total > 0 ? Math.round((w.weight / total) * 1000) / 10 : 0}%) `,
        node: w.tree,
      }));
    }
    default:
      return [];
  }
}

function walk(
  node: DelegateNode,
  label: string,
  lead: string,
  childLead: string,
  parentDentry: string,
  s: Style,
  out: string[],
): void {
  const d = dentryText(node.dentry);
  const via = d !== "" && d !== parentDentry ? `   ${s.dim(`via ${d}`)}` : "";
  out.push(`${lead}${s.cyan(label)}${describe(node, s)}${via}`);
  const kids = children(node);
  kids.forEach((k, i) => {
    const last = i === kids.length - 1;
    walk(
      k.node,
      k.label,
      childLead + (last ? "└─ " : "├─ "),
      childLead + (last ? "   " : "│  "),
      d || parentDentry,
      s,
      out,
    );
  });
}

/**
 * Render an explanation tree.
 *
 * @param tree The delegator tree.
 * @param s Styles (color or plain).
 * @returns Lines, without trailing newlines.
 */
export function renderDelegateTree(tree: DelegateNode, s: Style): string[] {
  const out: string[] = [];
  walk(tree, "", "", "", "", s, out);
  return out;
}

/**
 * Whether a tree still waits on a namer or an Addr (worth asking again shortly).
 *
 * @param tree The delegator tree.
 * @returns True when some step is pending.
 */
export function hasPending(tree: DelegateNode): boolean {
  if (tree.type === "exception") return tree.message === "pending";
  if (tree.type === "leaf") return tree.bound.addr.type === "pending";
  return children(tree).some((c) => hasPending(c.node));
}
