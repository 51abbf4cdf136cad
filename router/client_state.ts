/**
 * `/client_state.json` in the shape of Linkerd's `ClientStateHandler` (L1
 * `linkerd/admin/.../client/buoyant/ClientStateHandler.scala`): an object from each client's id
 * (its bound name, e.g. `/%/io.l5d.port/4141/#/io.l5d.fs/hello`) to `{state, addresses}`. The
 * state is `bound` with `addresses` as `host:port` strings, or one of Linkerd's `Addr` strings
 * with no addresses: `Pending`, `Neg`, `Failed: <message>`. The Addr is read live, so the answer
 * follows the namer (and the router's transformers) as traffic does. Clients of every router are
 * merged into one object, as Linkerd's process-wide client registry is.
 *
 * @module
 */
import type { Addr, Bound } from "../discovery/types.ts";

/** One client's state, as Linkerd's `ClientState(state, addresses)`. */
export interface ClientState {
  readonly state: string;
  readonly addresses: readonly string[];
}

function stateOf(addr: Addr): ClientState {
  switch (addr.type) {
    case "bound":
      return { state: "bound", addresses: addr.addrs.map((a) => `${a.host}:${a.port}`) };
    case "failed":
      return { state: `Failed: ${addr.error}`, addresses: [] };
    case "pending":
      return { state: "Pending", addresses: [] };
    case "neg":
      return { state: "Neg", addresses: [] };
  }
}

/**
 * The `/client_state.json` object for the clients of some routers.
 *
 * @param clients Each router's cached clients (`Router.clients()`).
 * @returns Client id → state.
 * @example
 * ```ts
 * import { clientStateJson } from "./client_state.ts";
 * clientStateJson([]); // {}
 * ```
 */
export function clientStateJson(
  clients: Iterable<readonly Bound[]>,
): Record<string, ClientState> {
  const out: Record<string, ClientState> = {};
  for (const bounds of clients) {
    for (const b of bounds) out[b.idStr] = stateOf(b.addr.get());
  }
  return out;
}
