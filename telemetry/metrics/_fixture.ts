/**
 * Folder-private test fixture: a registry with known traffic on every scope shape, on a fake
 * clock, without process stats (so renderings are exact).
 *
 * @module
 */
import { createRegistry, type MetricsRegistry } from "./registry.ts";
import { type RequestStats, scopeStats } from "./request_stats.ts";
import { clientScope, clientServiceScope, endpointScope, serviceScope } from "./scope.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";

/** The fixture's registry, clock and stats handles. */
export interface Fixture {
  readonly registry: MetricsRegistry;
  readonly clock: FakeClock;
  readonly server: RequestStats;
  readonly service: RequestStats;
  readonly client: RequestStats;
  readonly clientService: RequestStats;
  readonly endpoint: RequestStats;
}

/** Client id used by the fixture. */
export const CLIENT = "/#/io.l5d.fs/world";

/**
 * Every scope gets 2 successes (200) and 1 failure (503, reason `ConnectFailed` on the client),
 * all taking 4 ms, so every quantile is exactly 4.
 */
export function fixture(): Fixture {
  const clock = new FakeClock();
  const registry = createRegistry({ clock, processStats: false });
  const f: Fixture = {
    registry,
    clock,
    server: scopeStats(registry, ["rt", "incoming", "server", "127.0.0.1", "4141"]),
    service: scopeStats(registry, serviceScope("outgoing", "/svc/world")),
    client: scopeStats(registry, clientScope("outgoing", CLIENT)),
    clientService: scopeStats(registry, clientServiceScope("outgoing", CLIENT, "/svc/world")),
    endpoint: scopeStats(registry, endpointScope("outgoing", CLIENT, "127.0.0.1:7778")),
  };
  for (const s of [f.server, f.service, f.client, f.clientService, f.endpoint]) {
    s.recordSuccess(4, 200);
    s.recordSuccess(4, 200);
    if (s === f.client) s.recordFailure(4, 503, "ConnectFailed");
    else s.recordFailure(4, 503);
  }
  f.server.connections.set(2);
  return f;
}
