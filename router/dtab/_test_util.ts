/**
 * Folder-private test helpers for `router/dtab/*_test.ts`: an in-memory namer table and a fake
 * clock. Not part of the public surface.
 *
 * @module
 */
import type { Clock } from "../core/clock.ts";
import { type MutableVar, mutableVar } from "../core/var.ts";
import type { Activity, Addr, Bound, Name, NamerLookup } from "../../discovery/types.ts";
import { parsePath, showPath } from "./path.ts";
import type { NameTree } from "./types.ts";

/** An in-memory namer table keyed by full path text (`/#/io.l5d.fs/foo`). */
export interface FakeNamers {
  readonly lookup: NamerLookup;
  /** Number of lookups answered. */
  lookups: number;
  /** The activity Var for a path (created pending on first use). */
  act(path: string): MutableVar<Activity<NameTree<Name>>>;
  /** Make `path` bind to a bound leaf with this Addr; returns the Addr Var. */
  bound(path: string, addr?: Addr, residual?: string): MutableVar<Addr>;
  /** Make `path` resolve to this tree of names. */
  tree(path: string, tree: NameTree<Name>): void;
}

/** A bound Addr with the given `host:port`s. */
export function addrs(...hostPorts: string[]): Addr {
  return {
    type: "bound",
    addrs: hostPorts.map((hp) => {
      const [host, port] = hp.split(":");
      return { host: host ?? "", port: Number(port), weight: 1 };
    }),
  };
}

/** A bound name over an Addr Var. */
export function boundName(id: string, addr: MutableVar<Addr>, residual = "/"): Bound {
  const p = parsePath(id);
  return { id: p, idStr: showPath(p), addr, residual: parsePath(residual) };
}

/** Create a namer table; unknown paths are not handled (`undefined`). */
export function fakeNamers(): FakeNamers {
  const vars = new Map<string, MutableVar<Activity<NameTree<Name>>>>();
  const self: FakeNamers = {
    lookups: 0,
    lookup(path) {
      const v = vars.get(showPath(path));
      if (v) self.lookups++;
      return v;
    },
    act(path) {
      let v = vars.get(path);
      if (!v) vars.set(path, v = mutableVar<Activity<NameTree<Name>>>({ state: "pending" }));
      return v;
    },
    bound(path, addr = addrs("127.0.0.1:8080"), residual = "/") {
      const a = mutableVar<Addr>(addr);
      const bound = boundName(path, a, residual);
      self.act(path).set({ state: "ok", value: { type: "leaf", value: { kind: "bound", bound } } });
      return a;
    },
    tree(path, tree) {
      self.act(path).set({ state: "ok", value: tree });
    },
  };
  return self;
}

/** A manual clock: timers fire on `advance`. */
export interface FakeClock extends Clock {
  advance(ms: number): void;
  /** Timers not yet fired or cancelled. */
  pending(): number;
}

/** Create a fake clock at time 0. */
export function fakeClock(): FakeClock {
  let now = 0;
  const timers = new Set<{ at: number; fn: () => void }>();
  return {
    now: () => now,
    mono: () => now,
    random: () => 0.5,
    setTimer(ms, fn) {
      const t = { at: now + ms, fn };
      timers.add(t);
      return () => timers.delete(t);
    },
    advance(ms) {
      now += ms;
      for (const t of [...timers]) {
        if (t.at <= now && timers.delete(t)) t.fn();
      }
    },
    pending: () => timers.size,
  };
}
