/**
 * Randomized tests over loopback: random valid responses, split across random TCP writes, parse
 * back exactly; random garbage and mutated responses only ever produce `UpstreamError`.
 * Seeded: a failure prints its seed and case; set H1_SEED to replay one.
 */
import { assertEquals } from "../../../tests/support/assert.ts";
import { UpstreamError } from "../../core/errors.ts";
import { createH1Client } from "./h1_client.ts";
import { bytes, concat, prng, rawServer, RequestReader, writeAll } from "./_test_util.ts";

const HOST = "127.0.0.1";
const SEED = Number(Deno.env.get("H1_SEED") ?? 20261125);
const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const HOP = [
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "upgrade",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "transfer-encoding",
  "content-length",
];

type Rng = () => number;
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

function token(r: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += pick(r, [...TCHARS]);
  return s;
}

/** field-value: VCHAR / obs-text, with inner SP/HTAB; no leading or trailing whitespace. */
function fieldValue(r: Rng): string {
  const n = int(r, 0, 40);
  let s = "";
  for (let i = 0; i < n; i++) {
    const k = r();
    s += k < 0.1
      ? " "
      : k < 0.13
      ? "\t"
      : k < 0.2
      ? String.fromCharCode(int(r, 0x80, 0xff))
      : String.fromCharCode(int(r, 0x21, 0x7e));
  }
  return s.trim();
}

interface Case {
  wire: Uint8Array;
  status: number;
  reason: string;
  headers: [string, string][];
  body: Uint8Array;
  method: string;
  reusable: boolean;
}

function randomBody(r: Rng): Uint8Array {
  const size = pick(r, [0, 1, 5, 100, 4096, int(r, 0, 70_000), int(r, 0, 300_000)]);
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i += 97) b[i] = int(r, 0, 255);
  return b;
}

function randomCase(r: Rng, last: boolean): Case {
  const head = r() < 0.1;
  const status = pick(r, [200, 200, 200, 201, 206, 301, 404, 418, 500, 503, 204, 304]);
  const noBody = head || status === 204 || status === 304;
  const framing = noBody ? "none" : pick(r, last ? ["cl", "chunked", "close"] : ["cl", "chunked"]);
  const http10 = framing !== "chunked" && r() < 0.15;
  const reason = r() < 0.2 ? "" : fieldValue(r).replace(/^$/, "X");
  let h = `HTTP/1.${http10 ? 0 : 1} ${status}${reason === "" && r() < 0.5 ? "" : " " + reason}\r\n`;
  for (let i = int(r, 0, 2); i > 0; i--) {
    h = `HTTP/1.1 ${pick(r, [100, 102, 103])} Info\r\nX-I: 1\r\n\r\n` + h;
  }
  const expected: [string, string][] = [];
  const named = token(r, int(r, 3, 8)).toLowerCase() + "-x";
  const ows = () => pick(r, ["", " ", "\t", "  "]);
  for (let i = int(r, 0, 15); i > 0; i--) {
    const k = r();
    if (k < 0.1) {
      h += `Set-Cookie:${ows()}c${i}=v${i}\r\n`;
      expected.push(["set-cookie", `c${i}=v${i}`]);
    } else if (k < 0.15) {
      h += `${pick(r, ["Keep-Alive", "Trailer", "Upgrade", "Proxy-Authenticate"])}: ${
        fieldValue(r)
      }\r\n`;
    } else if (k < 0.2) h += `${named}: dropped\r\n`;
    else {
      let name = token(r, int(r, 1, 12));
      if (HOP.includes(name.toLowerCase()) || name.toLowerCase() === named) name = "x-" + name;
      const v = fieldValue(r);
      h += `${name}:${ows()}${v}${ows()}\r\n`;
      expected.push([name, v]);
    }
  }
  h += `Connection: ${named}${http10 ? ", keep-alive" : ""}\r\n`;
  let body = randomBody(r);
  let tail: Uint8Array = body;
  if (noBody) {
    body = new Uint8Array(0);
    tail = body;
    if (r() < 0.5) {
      const cl = head ? int(r, 0, 9999) : 0;
      h += `Content-Length: ${cl}\r\n`;
      expected.push(["content-length", String(cl)]);
    }
  } else if (framing === "cl") {
    h += `Content-Length: ${body.length}\r\n`;
    expected.push(["content-length", String(body.length)]);
  } else if (framing === "chunked") {
    h += "Transfer-Encoding: chunked\r\n";
    const parts: Uint8Array[] = [];
    for (let o = 0; o < body.length;) {
      const n = Math.min(body.length - o, pick(r, [1, 7, 100, 5000, 70_000]));
      const ext = r() < 0.2 ? `;e${o}=v` : "";
      const hex = (r() < 0.2 ? "00" : "") + n.toString(16);
      parts.push(
        bytes(`${r() < 0.5 ? hex.toUpperCase() : hex}${ext}\r\n`),
        body.subarray(o, o + n),
        bytes("\r\n"),
      );
      o += n;
    }
    parts.push(bytes(r() < 0.3 ? "0\r\nX-Trailer: t\r\n\r\n" : "0\r\n\r\n"));
    tail = concat(parts);
  }
  const wire = concat([bytes(h + "\r\n"), tail]);
  return {
    wire,
    status,
    reason,
    headers: expected,
    body,
    method: head ? "HEAD" : "GET",
    reusable: framing !== "close",
  };
}

/** Write `data` in random pieces, each its own write (TCP_NODELAY), to vary read boundaries. */
async function writeSplit(conn: Deno.TcpConn, data: Uint8Array, r: Rng): Promise<void> {
  for (let o = 0; o < data.length;) {
    const n = Math.min(data.length - o, pick(r, [1, 2, 3, 10, 100, 1000, 20_000, 100_000]));
    await writeAll(conn, data.subarray(o, o + n));
    o += n;
  }
}

Deno.test("request() parses random valid responses split across random TCP writes exactly", async () => {
  const r = prng(SEED);
  for (let round = 0; round < 60; round++) {
    const cases: Case[] = [];
    const n = int(r, 1, 4);
    for (let i = 0; i < n; i++) cases.push(randomCase(r, i === n - 1));
    const wr = prng(SEED + round);
    const srv = rawServer(async (conn) => {
      conn.setNoDelay(true);
      const reader = new RequestReader(conn);
      for (const c of cases) {
        if (!await reader.read()) return;
        await writeSplit(conn, c.wire, wr);
      }
    });
    const client = createH1Client({ smallBodyBytes: pick(r, [0, 1000, 65_536]) });
    try {
      for (const [i, c] of cases.entries()) {
        const where = `seed ${SEED} round ${round} case ${i}`;
        const res = await client.request(HOST, srv.port, {
          method: c.method,
          target: "/",
          headers: [["host", "p"]],
          body: null,
        });
        assertEquals(res.status, c.status, where);
        assertEquals(res.statusText, c.reason, where);
        assertEquals([...res.headers], [...new Headers(c.headers)], where);
        assertEquals(new Uint8Array(await res.arrayBuffer()), c.body, where);
      }
      // Only the last response may be close-delimited, so one connection carried them all.
      assertEquals(client.stats().connects, 1, `seed ${SEED} round ${round} connects`);
      if (!(cases.at(-1) as Case).reusable) {
        assertEquals(client.stats().open, 0, `seed ${SEED} round ${round} open`);
      }
    } finally {
      await client.close();
      await srv.close();
    }
  }
});

function mutate(r: Rng, wire: Uint8Array): Uint8Array {
  const b = [...wire.subarray(0, Math.min(wire.length, 600))];
  for (let k = int(r, 1, 4); k > 0; k--) {
    const at = int(r, 0, Math.max(0, b.length - 1));
    const op = r();
    if (op < 0.3) b[at] = int(r, 0, 255);
    else if (op < 0.6) b.splice(at, 0, pick(r, [13, 10, 32, 9, 58, 48, 57, 102, 0, 127, 255]));
    else if (op < 0.8) b.splice(at, 1);
    else {b.splice(
        at,
        0,
        ...bytes(
          pick(r, [
            "\r\nContent-Length: 3",
            "\r\nTransfer-Encoding: chunked",
            "\r\n folded",
            "\r\n\r\n",
            "HTTP/1.1 100 C\r\n\r\n",
          ]),
        ),
      );}
  }
  return new Uint8Array(b);
}

Deno.test("request() turns random garbage and mutated responses into UpstreamError, never a crash or hang", async () => {
  const r = prng(SEED ^ 0x5eed);
  const client = createH1Client({ maxResponseHeadBytes: 2048 });
  let accepted = 0, rejected = 0;
  try {
    for (let i = 0; i < 300; i++) {
      let wire: Uint8Array;
      if (i % 3 === 0) {
        wire = new Uint8Array(int(r, 0, 3000)).map(() => int(r, 0, 255));
        if (r() < 0.5) wire = concat([bytes("HTTP/1.1 200 OK\r\n"), wire]);
      } else wire = mutate(r, randomCase(r, true).wire);
      const wr = prng(i);
      const srv = rawServer(async (conn) => {
        conn.setNoDelay(true);
        await new RequestReader(conn).read();
        await writeSplit(conn, wire, wr).catch(() => {});
      });
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new Error(`hang: seed ${SEED} garbage ${i}`)), 5000);
      try {
        const res = await client.request(HOST, srv.port, {
          method: "GET",
          target: "/",
          headers: [["host", "g"]],
          body: null,
          signal: ac.signal,
        });
        await res.arrayBuffer();
        accepted++;
      } catch (e: unknown) {
        if (!(e instanceof UpstreamError)) {
          throw new Error(`seed ${SEED} garbage ${i}: ${e}`, { cause: e });
        }
        rejected++;
      } finally {
        clearTimeout(timer);
        await srv.close();
      }
    }
  } finally {
    await client.close();
  }
  assertEquals(accepted + rejected, 300);
  if (rejected < 150) throw new Error(`only ${rejected} of 300 garbage cases rejected`);
});
