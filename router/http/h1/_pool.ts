/**
 * Per-endpoint connection pool: LIFO idle stacks keyed by `host:port`, idle expiry, a cap on open
 * connections with a FIFO waiter queue, and connects with a timeout. Folder-private.
 *
 * A connection counts against its endpoint from the moment its connect starts until it closes.
 * A released connection goes to the oldest waiter first, else onto the idle stack (closed when
 * the stack is full). An idle connection keeps a read pending, so an upstream that closes it (or
 * sends stray bytes) is noticed at once and the connection is evicted. Idle connections expire
 * at `idleTimeoutMs`, or earlier when the upstream announced `Keep-Alive: timeout=N` (at
 * N − 1 s, at least N / 2), so the pool gives a connection up before the upstream does. An
 * endpoint with a life limit (`clientSession.lifeTimeMs`) closes a connection that reached it
 * when it is released, after the exchange in flight, and expires an idle one then. A sweep timer
 * runs only while some connection is idle.
 *
 * @module
 */
import type { Clock } from "../../core/clock.ts";
import { ConnectFailed, isLocalResourceLimit, LocalResourceExhausted } from "../../core/errors.ts";
import { Conn } from "./_conn.ts";

/** Opens a transport connection; must honour `signal`. */
export type Dial = (hostname: string, port: number, signal: AbortSignal) => Promise<Deno.Conn>;

/** Pool settings, already defaulted. */
export interface PoolSettings {
  maxIdle: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  maxConns: number;
  dial: Dial;
  clock: Pick<Clock, "mono" | "setTimer">;
}

interface Waiter {
  resolve(c: Conn | null): void;
  reject(e: unknown): void;
  fresh: boolean;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
}

class Endpoint {
  idle: Conn[] = [];
  /** Connections open or being opened (each holds a slot under `maxConns`). */
  open = 0;
  /** Of `open`, those still connecting. */
  connecting = 0;
  waiters: Waiter[] = [];
  /** Requests waiting for a connection released by another (see `Pool#reuse`). */
  reusers: Waiter[] = [];
  constructor(
    readonly key: string,
    readonly host: string,
    readonly port: number,
    /** How long a connection may sit idle (the pool's, or the endpoint's own). */
    public idleMs: number,
    /** How long a connection may live from its connect (0: forever). */
    public lifeMs: number,
    /** `hostConnectionPool.idleTimeMs`: how long an idle connection beyond `minIdle` is kept. */
    public cacheMs = Infinity,
    /** `hostConnectionPool.minSize`: idle connections kept without `cacheMs`. */
    public minIdle = 0,
  ) {}
}

/** The pool behind one client. */
export class Pool {
  readonly #cfg: PoolSettings;
  readonly #eps = new Map<string, Endpoint>();
  /** Endpoints with their own idle limit (`clientSession.idleTimeMs`), by `host:port`. */
  readonly #idleMs = new Map<string, number>();
  /** Endpoints with a connection life limit (`clientSession.lifeTimeMs`), by `host:port`. */
  readonly #lifeMs = new Map<string, number>();
  /** Endpoints with a `hostConnectionPool` idle time, by `host:port`. */
  readonly #cache = new Map<string, { ms: number; minSize: number }>();
  /** Endpoints whose connections get SO_KEEPALIVE (`socketOptions.keepAlive`), by `host:port`. */
  readonly #keepAlive = new Set<string>();
  readonly #conns = new Set<Conn>();
  readonly #dialing = new Set<AbortController>();
  #idleCount = 0;
  #cancelSweep: (() => void) | null = null;
  readonly #drained: (() => void)[] = [];
  connects = 0;
  reused = 0;
  closed = false;
  /** `close()` closed connections under in-flight exchanges. */
  forced = false;

  constructor(cfg: PoolSettings) {
    this.#cfg = cfg;
  }

  /**
   * A connection to `host:port`: the most recently idled live one unless `fresh`, else a new one
   * once the endpoint is under its cap.
   *
   * @param key `host:port`, when the caller has made it already
   * @throws {ConnectFailed} on connect failure or timeout, or when the pool is closed
   */
  acquire(
    host: string,
    port: number,
    signal: AbortSignal | undefined,
    fresh: boolean,
    onConnect?: (() => void) | undefined,
    key: string = host + ":" + port,
  ): Conn | Promise<Conn> {
    if (this.closed) throw new ConnectFailed(`h1 client closed; nothing sent to ${host}:${port}`);
    let ep = this.#eps.get(key);
    if (ep === undefined) {
      const idleMs = this.#idleMs.get(key) ?? this.#cfg.idleTimeoutMs;
      const lifeMs = this.#lifeMs.get(key) ?? 0;
      const cache = this.#cache.get(key);
      ep = new Endpoint(key, host, port, idleMs, lifeMs, cache?.ms, cache?.minSize);
      this.#eps.set(key, ep);
    }
    if (!fresh) {
      const now = this.#cfg.clock.mono();
      while (ep.idle.length > 0) {
        const c = ep.idle.pop() as Conn;
        this.#idleCount--;
        if (c.idleUntil > now) {
          c.take();
          this.reused++;
          return c;
        }
        c.close(); // may drop `ep` from the map when it was the last connection
      }
      if (ep.open === 0) this.#eps.set(key, ep);
    }
    if (ep.open < this.#cfg.maxConns) {
      ep.open++;
      return this.#connect(ep, signal, onConnect);
    }
    return this.#wait(ep, signal, fresh, onConnect);
  }

  /** Return a connection after a clean exchange; `keepAliveMs` is the upstream's hint or -1. */
  release(c: Conn, keepAliveMs: number): void {
    const ep = c.owner as Endpoint;
    if (this.closed || c.closed) return c.close();
    c.s = c.e = 0;
    // Past its life limit (one comparison; Infinity without one): close after this exchange.
    // The slot it frees goes to the oldest waiter, which connects afresh.
    if (c.expiresAt !== Infinity && c.expiresAt <= this.#cfg.clock.mono()) return c.close();
    const w = ep.waiters[0];
    if (w !== undefined) {
      if (w.fresh) return c.close(); // frees a slot, which goes to w
      ep.waiters.shift();
      this.#settle(w);
      this.reused++;
      return w.resolve(c);
    }
    const r = ep.reusers[0];
    if (r !== undefined) {
      this.reused++;
      return r.resolve(c);
    }
    const cfg = this.#cfg;
    // The first `minIdle` idle connections are the watermark pool's persistent ones; the others
    // are cached for `cacheMs` (Finagle's DefaultPool: WatermarkPool over a CachingPool).
    let ttl = ep.idle.length < ep.minIdle ? ep.idleMs : Math.min(ep.idleMs, ep.cacheMs);
    if (keepAliveMs >= 0) ttl = Math.min(ttl, Math.max(keepAliveMs - 1000, keepAliveMs / 2));
    if (ep.idle.length >= cfg.maxIdle || ttl <= 0) return c.close();
    c.idleUntil = Math.min(cfg.clock.mono() + ttl, c.expiresAt);
    c.park(this.#evict);
    ep.idle.push(c);
    this.#idleCount++;
    if (this.#cancelSweep === null) this.#scheduleSweep();
  }

  /**
   * Give the endpoint `key` (`host:port`) its own idle limit (Finagle's client
   * `ExpiringService` idle time): connections idle longer than `ms` close. The shortest asked
   * for wins, as several clients may share an endpoint.
   */
  setIdleTimeout(key: string, ms: number): void {
    const was = this.#idleMs.get(key);
    if (was !== undefined && was <= ms) return;
    this.#idleMs.set(key, ms);
    const ep = this.#eps.get(key);
    if (ep !== undefined) ep.idleMs = ms;
  }

  /**
   * Turn SO_KEEPALIVE on for the connections to `key` (`host:port`) opened from now on (a
   * client's `socketOptions.keepAlive`; on when any client sharing the endpoint asks).
   */
  setKeepAlive(key: string): void {
    this.#keepAlive.add(key);
  }

  /**
   * Give the endpoint `key` (`host:port`) Linkerd's `hostConnectionPool` `idleTimeMs` and
   * `minSize` (routers.md: "The amount of idle time for which a connection is cached …. Only
   * applied to connections that number greater than minSize"): up to `minSize` idle connections
   * are kept as before, any more close once idle `ms` (0: at once). The shortest `ms` asked for
   * wins, with its `minSize`, as several clients may share an endpoint.
   */
  setPoolIdleTime(key: string, ms: number, minSize: number): void {
    const was = this.#cache.get(key);
    if (was !== undefined && was.ms <= ms) return;
    this.#cache.set(key, { ms, minSize });
    const ep = this.#eps.get(key);
    if (ep !== undefined) {
      ep.cacheMs = ms;
      ep.minIdle = minSize;
    }
  }

  /**
   * Give the endpoint `key` (`host:port`) a connection life limit (Finagle's client
   * `ExpiringService` life time): a connection older than `ms` is closed when its exchange ends,
   * or when idle. Applies to connections opened from now on; the shortest asked for wins.
   */
  setLifeTime(key: string, ms: number): void {
    const was = this.#lifeMs.get(key);
    if (was !== undefined && was <= ms) return;
    this.#lifeMs.set(key, ms);
    const ep = this.#eps.get(key);
    if (ep !== undefined) ep.lifeMs = ms;
  }

  /** Connections open (or opening) to `host:port` now, idle included. */
  openTo(key: string): number {
    return this.#eps.get(key)?.open ?? 0;
  }

  /** Counters for `H1Client.stats()`. */
  stats(): { open: number; idle: number; connects: number; reused: number } {
    return {
      open: this.#conns.size,
      idle: this.#idleCount,
      connects: this.connects,
      reused: this.reused,
    };
  }

  /**
   * Stop: later acquires throw, waiters and pending connects fail, idle connections close now.
   * In-flight exchanges may finish for `graceMs` (their connections then close instead of
   * returning); after that the rest are closed under them. Resolves once every connection is
   * closed.
   */
  close(graceMs: number): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.#cancelSweep?.();
      this.#cancelSweep = null;
      for (const ep of this.#eps.values()) {
        for (const w of ep.waiters.splice(0)) {
          this.#settle(w);
          w.reject(new ConnectFailed(`h1 client closed; nothing sent to ${ep.key}`));
        }
        for (const r of [...ep.reusers]) {
          r.reject(new ConnectFailed(`h1 client closed; nothing sent to ${ep.key}`));
        }
        const idle = ep.idle.splice(0);
        this.#idleCount -= idle.length;
        for (const c of idle) c.close();
      }
      for (const ac of this.#dialing) ac.abort();
    }
    if (this.#conns.size === 0) return Promise.resolve();
    const drained = new Promise<void>((resolve) => this.#drained.push(resolve));
    const force = () => {
      this.forced = true;
      for (const c of [...this.#conns]) c.close();
    };
    if (graceMs <= 0) force();
    else drained.then(this.#cfg.clock.setTimer(graceMs, force));
    return drained;
  }

  async #connect(
    ep: Endpoint,
    signal: AbortSignal | undefined,
    onConnect?: (() => void) | undefined,
  ): Promise<Conn> {
    let tcp: Deno.Conn;
    ep.connecting++;
    try {
      tcp = await this.#dial(ep, signal);
    } catch (e: unknown) {
      ep.connecting--;
      this.#freeSlot(ep);
      // Out of descriptors (a surge of client connections) while this endpoint has connections
      // open: queue for the next one released, for up to the connect timeout, rather than fail
      // the request. A surge then costs latency, not errors.
      if (e instanceof LocalResourceExhausted && ep.open > ep.connecting && !this.closed) {
        return this.#reuse(ep, signal, e);
      }
      throw e;
    }
    ep.connecting--;
    if (this.closed) {
      tcp.close();
      this.#freeSlot(ep);
      throw new ConnectFailed(`h1 client closed; nothing sent to ${ep.key}`);
    }
    this.connects++;
    onConnect?.();
    if (this.#keepAlive.has(ep.key)) {
      try {
        (tcp as Partial<Deno.TcpConn>).setKeepAlive?.(true); // a TLS connection may not expose it
      } catch { /* closed already: the exchange will see it */ }
    }
    const c = new Conn(tcp, ep, (x) => {
      this.#conns.delete(x);
      this.#freeSlot(ep);
      if (this.closed && this.#conns.size === 0) {
        for (const done of this.#drained.splice(0)) done();
      }
    });
    if (ep.lifeMs > 0) c.expiresAt = this.#cfg.clock.mono() + ep.lifeMs;
    this.#conns.add(c);
    return c;
  }

  async #dial(ep: Endpoint, signal: AbortSignal | undefined): Promise<Deno.Conn> {
    const cfg = this.#cfg, ac = new AbortController();
    let timedOut = false;
    const cancelTimer = cfg.clock.setTimer(cfg.connectTimeoutMs, () => {
      timedOut = true;
      ac.abort();
    });
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort);
    this.#dialing.add(ac);
    try {
      return await cfg.dial(ep.host, ep.port, ac.signal);
    } catch (e: unknown) {
      if (signal?.aborted) throw signal.reason;
      const why = timedOut
        ? `timed out after ${cfg.connectTimeoutMs} ms`
        : this.closed
        ? "h1 client closed"
        : e instanceof Error
        ? e.message
        : String(e);
      if (!timedOut && isLocalResourceLimit(e)) {
        throw new LocalResourceExhausted(
          `connect to ${ep.key} failed: ${why} (a limit of this proxy, not the endpoint's failure)`,
          { cause: e },
        );
      }
      throw new ConnectFailed(`connect to ${ep.key} failed: ${why}`, { cause: e });
    } finally {
      cancelTimer();
      signal?.removeEventListener("abort", onAbort);
      this.#dialing.delete(ac);
    }
  }

  /** A connection of `ep` closed or failed to open: hand its slot to the oldest waiter. */
  #freeSlot(ep: Endpoint): void {
    ep.open--;
    // No connection left to be released: those waiting for one fail now, not at their timeout.
    if (ep.reusers.length > 0 && ep.open === ep.connecting) {
      for (const r of [...ep.reusers]) r.resolve(null);
    }
    const w = ep.waiters.shift();
    if (w !== undefined && !this.closed) {
      this.#settle(w);
      ep.open++;
      w.resolve(null);
    } else if (
      ep.open === 0 && ep.idle.length === 0 && ep.waiters.length === 0 && ep.reusers.length === 0
    ) {
      this.#eps.delete(ep.key);
    }
  }

  #wait(
    ep: Endpoint,
    signal: AbortSignal | undefined,
    fresh: boolean,
    onConnect: (() => void) | undefined,
  ): Promise<Conn> {
    signal?.throwIfAborted();
    return new Promise<Conn | null>((resolve, reject) => {
      const w: Waiter = { resolve, reject, fresh, signal, onAbort: null };
      if (signal !== undefined) {
        w.onAbort = () => {
          const i = ep.waiters.indexOf(w);
          if (i >= 0) ep.waiters.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      ep.waiters.push(w);
    }).then((c) => c ?? this.#connect(ep, signal, onConnect));
  }

  /**
   * Out of descriptors with connections to `ep` open: wait for the next one released (after the
   * waiters for a slot), for up to the connect timeout; then fail with `giveUp`, as at once when
   * the last of them closes. Never handed a slot to connect in: that connect would fail the same
   * way, and a queue of such waiters passing slots round would spin.
   */
  #reuse(ep: Endpoint, signal: AbortSignal | undefined, giveUp: Error): Promise<Conn> {
    signal?.throwIfAborted();
    return new Promise<Conn>((resolve, reject) => {
      const leave = () => {
        const i = ep.reusers.indexOf(w);
        if (i >= 0) ep.reusers.splice(i, 1);
        this.#settle(w);
        cancel();
      };
      const w: Waiter = {
        resolve: (c) => {
          leave();
          if (c === null) reject(giveUp); // never sent: see `#freeSlot`
          else resolve(c);
        },
        reject: (e) => {
          leave();
          reject(e);
        },
        fresh: false,
        signal,
        onAbort: null,
      };
      const cancel = this.#cfg.clock.setTimer(this.#cfg.connectTimeoutMs, () => w.reject(giveUp));
      if (signal !== undefined) {
        w.onAbort = () => w.reject(signal.reason);
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      ep.reusers.push(w);
    });
  }

  /** An idle connection saw EOF, an error or stray bytes: drop it. */
  readonly #evict = (c: Conn): void => {
    const ep = c.owner as Endpoint;
    const i = ep.idle.indexOf(c);
    if (i >= 0) {
      ep.idle.splice(i, 1);
      this.#idleCount--;
    }
    c.close();
  };

  #settle(w: Waiter): void {
    if (w.onAbort !== null) w.signal?.removeEventListener("abort", w.onAbort);
  }

  #scheduleSweep(): void {
    const every = Math.max(50, Math.min(1000, this.#cfg.idleTimeoutMs / 2));
    this.#cancelSweep = this.#cfg.clock.setTimer(every, () => {
      this.#cancelSweep = null;
      const now = this.#cfg.clock.mono();
      for (const ep of [...this.#eps.values()]) {
        const live = ep.idle.filter((c) => c.idleUntil > now);
        if (live.length === ep.idle.length) continue;
        const dead = ep.idle.filter((c) => c.idleUntil <= now);
        ep.idle = live;
        this.#idleCount -= dead.length;
        for (const c of dead) c.close();
      }
      if (this.#idleCount > 0 && !this.closed) this.#scheduleSweep();
    });
  }
}
