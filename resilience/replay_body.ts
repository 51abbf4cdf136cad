/**
 * A capped tee of a request body so a retry or requeue can send it again (Linkerd2's
 * `http/retry/src/replay.rs` `Capped`; Envoy's retry buffer). Bodies stream: the first attempt
 * sends chunks as they arrive while they are also recorded. A later attempt replays the recorded
 * chunks, then continues reading the original body where the previous attempt stopped.
 *
 * Past `maxBytes` (default 64 KiB) recording stops and the buffer is dropped: the request is
 * then **not replayable** (`canReplay` false), and the attempt that crossed the cap streams on
 * without buffering anything further. Memory per request is bounded by the cap. Requests without
 * a body cost nothing: every attempt reuses the original `Request`.
 *
 * Used by `retries` and `requeues` (never delivered ≠ never read: a transport may have pulled
 * part of the body before its connection failed).
 *
 * @example
 * ```ts
 * import { replayable } from "./replay_body.ts";
 * const replay = replayable(new Request("http://a/", { method: "POST", body: "hello" }));
 * const first = replay.attempt();
 * await first.text(); // "hello"
 * if (replay.canReplay) await replay.attempt().text(); // "hello" again
 * ```
 *
 * @module
 */
import { requestWithMethod } from "../router/core/request_method.ts";
import { requestParts } from "../router/http/raw/request_parts.ts";

/** Default replay buffer per request. */
export const DEFAULT_MAX_REPLAY_BYTES = 64 * 1024;

/** The attempts of one request. */
export interface Replay {
  /** A request for the next attempt; call only while `canReplay` (the first call always works). */
  attempt(): Request;
  /** False once the body went past the cap, could not be read, or was already used. */
  readonly canReplay: boolean;
}

class Bodyless implements Replay {
  constructor(private readonly req: Request) {}
  readonly canReplay = true;
  attempt(): Request {
    return this.req;
  }
}

/** Shared state of the recorded body; each attempt's stream reads through it. */
class Tee implements Replay {
  readonly #req: Request;
  readonly #max: number;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #chunks: Uint8Array[] | undefined = [];
  #bytes = 0;
  #eof = false;
  #broken = false;
  #attempts = 0;
  /** Serialises reads of the original body between attempt streams. */
  #reading: Promise<void> = Promise.resolve();

  constructor(req: Request, max: number) {
    this.#req = req;
    this.#max = max;
  }

  get canReplay(): boolean {
    return this.#chunks !== undefined && !this.#broken;
  }

  attempt(): Request {
    const n = this.#attempts++;
    const init: RequestInit = { method: this.#req.method, headers: this.#req.headers };
    init.body = this.#stream(n === 0);
    init.redirect = this.#req.redirect;
    (init as RequestInit & { duplex: string }).duplex = "half";
    // TRACE/CONNECT/TRACK are forwarded too: `new Request` alone refuses them.
    const out = requestWithMethod(this.#req.url, init as RequestInit & { method: string });
    // The HTTP version (HTTP/1.0 forwarding, `Via: h2 linkerd`) goes with every attempt.
    const parts = requestParts.get(this.#req);
    if (parts !== undefined) requestParts.set(out, parts);
    return out;
  }

  #stream(first: boolean): ReadableStream<Uint8Array> {
    const me = this.#attempts - 1;
    let idx = 0;
    let passthrough = false;
    if (!first && !this.canReplay) return failed(NOT_REPLAYABLE);
    return new ReadableStream<Uint8Array>({
      pull: async (c) => {
        // Only the latest attempt may read on: an abandoned attempt's transport must not
        // consume chunks the retry needs.
        if (me !== this.#attempts - 1) return c.error(new Error("superseded by a retry"));
        if (passthrough) {
          const r = await this.#readOriginal();
          if (r.done) c.close();
          else c.enqueue(r.value);
          return;
        }
        if (this.#chunks === undefined) return c.error(new Error(NOT_REPLAYABLE));
        while (idx >= this.#chunks.length && !this.#eof) {
          const r = await this.#readOriginal();
          if (r.done) break;
          if (this.#chunks === undefined || this.#bytes + r.value.byteLength > this.#max) {
            // Past the cap: drop the buffer, stream on without recording.
            this.#chunks = undefined;
            passthrough = true;
            c.enqueue(r.value);
            return;
          }
          this.#chunks.push(r.value);
          this.#bytes += r.value.byteLength;
        }
        const chunk = this.#chunks[idx];
        if (chunk) {
          idx++;
          c.enqueue(chunk);
        } else c.close();
      },
      // Cancelling an attempt (its timeout, a retry) must not cancel the original body.
      cancel: () => {},
    });
  }

  async #readOriginal(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const prev = this.#reading;
    let release!: () => void;
    this.#reading = new Promise((r) => (release = r));
    await prev;
    try {
      if (this.#eof) return DONE;
      this.#reader ??= this.#req.body!.getReader();
      const r = await this.#reader.read();
      if (r.done) this.#eof = true;
      return r;
    } catch (e: unknown) {
      this.#broken = true;
      throw e;
    } finally {
      release();
    }
  }
}

/**
 * One attempt with the original request and no replays: a body someone already consumed, or one
 * that is chunked or larger than the cap (streamed through untouched).
 */
class Used implements Replay {
  constructor(private readonly req: Request) {}
  readonly canReplay = false;
  attempt(): Request {
    return this.req;
  }
}

/**
 * Make a request replayable up to a byte cap.
 *
 * @param req the original request (its body is consumed through the returned attempts only)
 * @param maxBytes the replay buffer cap (default 64 KiB)
 * @returns the attempt source
 *
 * @example
 * ```ts
 * import { replayable } from "./replay_body.ts";
 * const replay = replayable(new Request("http://a/", { method: "PUT", body: "x" }), 64 * 1024);
 * const first = replay.attempt();
 * ```
 */
export function replayable(req: Request, maxBytes: number = DEFAULT_MAX_REPLAY_BYTES): Replay {
  if (req.body === null) return new Bodyless(req);
  if (req.bodyUsed || req.body.locked) return new Used(req);
  // Known up front not to fit (or of unknown length, i.e. chunked — which Linkerd never
  // retries either): send the original body straight through, no tee, no copies.
  const cl = req.headers.get("content-length");
  if (cl !== null && !(Number(cl) <= maxBytes)) return new Used(req);
  if (req.headers.get("transfer-encoding")?.includes("chunked")) return new Used(req);
  return new Tee(req, maxBytes);
}

const NOT_REPLAYABLE = "request body is not replayable";
const DONE: ReadableStreamReadDoneResult<Uint8Array> = { done: true };

function failed(message: string): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.error(new Error(message)) });
}
