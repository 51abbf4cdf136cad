/**
 * The plaintext front of an h2 server. Linkerd's `protocol-h2.md`: "When TLS is not configured,
 * h2 servers accept both prior knowledge and HTTP Upgrade requests". node:http2 speaks prior
 * knowledge only, so each connection's first bytes decide here:
 *
 * - the HTTP/2 connection preface: the connection goes to node:http2 as it is;
 * - an HTTP/1.1 request with `Upgrade: h2c` and `HTTP2-Settings` (RFC 7540 §3.2): its body (a
 *   `Content-Length` of up to 65535 bytes, the initial window) is read, then it is answered
 *   `101 Switching Protocols`; the request becomes stream 1 of the HTTP/2 session (a HEADERS
 *   frame carrying its fields and DATA frames carrying its body, placed after the client's
 *   first SETTINGS frame, as the upgrade makes it "half-closed (local)" for the client), and
 *   node:http2 serves it there;
 * - anything else (HTTP/1.x without the upgrade, a chunked or larger upgrade body, bytes that
 *   are neither): a one-shot HTTP/1.1 error with `l5d-err`, then close.
 *
 * Those frames are the only HTTP/2 this module writes: literal fields without indexing, no
 * Huffman coding (RFC 7541 §6.2.2), the head in one frame of at most 16384 bytes (the default
 * SETTINGS_MAX_FRAME_SIZE; a longer head is refused with 431), the body in frames of that size.
 *
 * @module
 */
import type * as NodeNet from "node:net";
import { javaUrlEncode } from "../headers.ts";
import { CONNECTION_FIELDS } from "./_fields.ts";

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/** The longest HTTP/1.1 request head accepted for an upgrade. */
const MAX_HEAD = 64 * 1024;
/** Default SETTINGS_MAX_FRAME_SIZE: the HEADERS frame must fit in it. */
const MAX_FRAME = 16384;
/** Default initial stream and connection window: an upgrade's body must fit in it. */
const MAX_WINDOW = 65535;
/** Fields stream 1 does not carry: HTTP/2's connection-specific ones, the upgrade's, Host. */
const NOT_CARRIED: ReadonlySet<string> = new Set([...CONNECTION_FIELDS, "http2-settings", "host"]);

/** Why a connection is not served: an HTTP/1.1 status and the `l5d-err` text. */
interface Refusal {
  readonly status: number;
  readonly message: string;
}

/**
 * Read a new plaintext connection's first bytes and route it (see the module doc).
 *
 * @param sock the accepted connection
 * @param toH2 hands a connection that now starts with the HTTP/2 preface to node:http2
 */
export function acceptH2c(sock: NodeNet.Socket, toH2: (sock: NodeNet.Socket) => void): void {
  let buf = new Uint8Array(0);
  let upgraded: Uint8Array | null = null; // stream 1's HEADERS frame, once 101 was sent
  sock.on("error", () => {}); // a client that goes away early: nothing to report
  const onData = (chunk: Uint8Array): void => {
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    buf = next;
    if (upgraded !== null) {
      afterUpgrade(upgraded);
      return;
    }
    const prefix = latin1(buf.subarray(0, Math.min(buf.length, PREFACE.length)));
    if (PREFACE.startsWith(prefix)) {
      if (buf.length >= PREFACE.length) handOver(buf);
      return;
    }
    const end = indexOfHeadEnd(buf);
    if (end < 0) {
      if (buf.length > MAX_HEAD) {
        refuse({ status: 431, message: "request header fields too large" });
      }
      return;
    }
    const head = parseHead(latin1(buf.subarray(0, end)));
    if (typeof head === "string") return refuse({ status: 400, message: head });
    const body = bodyLength(head);
    if (typeof body !== "number") return refuse(body);
    // RFC 7540 §3.2: a request's body comes whole before the client sends HTTP/2 frames.
    if (buf.length < end + 4 + body) return;
    const frame = upgradeFrames(head, buf.subarray(end + 4, end + 4 + body));
    if (!(frame instanceof Uint8Array)) return refuse(frame);
    upgraded = frame;
    buf = buf.subarray(end + 4 + body);
    sock.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
    if (buf.length > 0) afterUpgrade(frame);
  };
  /** After 101: the client's preface and first frame (SETTINGS), then stream 1's HEADERS. */
  const afterUpgrade = (headers: Uint8Array): void => {
    const p = PREFACE.length;
    if (buf.length < p + 9) return;
    if (latin1(buf.subarray(0, p)) !== PREFACE) {
      sock.destroy(); // not HTTP/2 after agreeing to it: nothing sensible to answer
      return;
    }
    const first = p + 9 + ((buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!);
    if (buf.length < first) return;
    const out = new Uint8Array(buf.length + headers.length);
    out.set(buf.subarray(0, first));
    out.set(headers, first);
    out.set(buf.subarray(first), first + headers.length);
    handOver(out);
  };
  const handOver = (bytes: Uint8Array): void => {
    sock.removeListener("data", onData);
    sock.pause();
    sock.unshift(bytes);
    toH2(sock);
    sock.resume();
  };
  const refuse = ({ status, message }: Refusal): void => {
    sock.removeListener("data", onData);
    const bytes = new TextEncoder().encode(message);
    sock.end(
      `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\ncontent-type: text/plain\r\n` +
        `content-length: ${bytes.length}\r\nl5d-err: ${javaUrlEncode(message)}\r\n` +
        `connection: close\r\n\r\n${message}`,
    );
  };
  sock.on("data", onData);
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  505: "HTTP Version Not Supported",
};

interface Head {
  method: string;
  target: string;
  version: string;
  fields: [string, string][];
}

function parseHead(text: string): Head | string {
  const lines = text.split("\r\n");
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/(\d\.\d)$/.exec(lines[0] ?? "");
  if (!m) return "malformed request line";
  const fields: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    if (i <= 0 || /\s/.test(line.slice(0, i))) return "malformed header field";
    fields.push([line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()]);
  }
  return { method: m[1]!, target: m[2]!, version: m[3]!, fields };
}

/**
 * The body length of an upgrade request: `Content-Length` up to the initial stream window
 * (65535, so its DATA frames need no WINDOW_UPDATE); a chunked body is refused.
 */
function bodyLength(h: Head): number | Refusal {
  const te = h.fields.some(([n]) => n === "transfer-encoding");
  const cl = h.fields.filter(([n]) => n === "content-length").map(([, v]) => v);
  if (te) {
    return {
      status: 400,
      message: "a chunked h2c upgrade request is not supported: use prior knowledge",
    };
  }
  if (cl.length === 0) return 0;
  if (!cl.every((v) => /^\d+$/.test(v) && v === cl[0])) {
    return { status: 400, message: "invalid content-length" };
  }
  const n = Number(cl[0]);
  if (n > MAX_WINDOW) {
    return {
      status: 413,
      message:
        `an h2c upgrade request body over ${MAX_WINDOW} bytes is not supported: use prior knowledge`,
    };
  }
  return n;
}

/**
 * Stream 1's HEADERS frame (and DATA frames for a body) for an `Upgrade: h2c` request, or why
 * it cannot be upgraded.
 */
function upgradeFrames(h: Head, body: Uint8Array): Uint8Array | Refusal {
  const get = (name: string) => h.fields.filter(([n]) => n === name).map(([, v]) => v);
  const tokens = (name: string) =>
    get(name).join(",").split(",").map((t) => t.trim().toLowerCase()).filter((t) => t !== "");
  const plainOnly = "this listener speaks HTTP/2: use prior knowledge or Upgrade: h2c";
  if (h.version !== "1.1" || !tokens("upgrade").includes("h2c")) {
    return { status: 505, message: plainOnly };
  }
  if (get("http2-settings").length !== 1 || !tokens("connection").includes("upgrade")) {
    return {
      status: 400,
      message:
        `${plainOnly} (an upgrade needs Connection: Upgrade, HTTP2-Settings and one HTTP2-Settings)`,
    };
  }
  let authority = get("host")[0] ?? "";
  let path = h.target;
  const abs = /^http:\/\/([^/?#]+)(.*)$/i.exec(h.target);
  if (abs) {
    authority = abs[1]!;
    path = abs[2] || "/";
  }
  const listed = new Set(tokens("connection"));
  const block: number[] = [];
  const field = (name: string, value: string) => {
    block.push(0); // literal header field without indexing, new name (RFC 7541 §6.2.2)
    str(block, name);
    str(block, value);
  };
  field(":method", h.method);
  field(":scheme", "http");
  if (authority !== "") field(":authority", authority);
  field(":path", path);
  for (const [name, value] of h.fields) {
    if (NOT_CARRIED.has(name) || listed.has(name)) continue;
    if (name === "te" && value.toLowerCase() !== "trailers") continue;
    field(name, value);
  }
  if (block.length > MAX_FRAME) {
    return { status: 431, message: "request header fields too large for one HTTP/2 frame" };
  }
  // HEADERS (type 1) with END_HEADERS (0x4), and END_STREAM (0x1) when there is no body; then
  // the body in DATA frames (type 0), END_STREAM on the last; all on stream 1.
  const out = frameHeader(block.length, 1, body.length === 0 ? 5 : 4);
  out.push(...block);
  for (let o = 0; o < body.length; o += MAX_FRAME) {
    const part = body.subarray(o, Math.min(body.length, o + MAX_FRAME));
    out.push(...frameHeader(part.length, 0, o + MAX_FRAME >= body.length ? 1 : 0), ...part);
  }
  return Uint8Array.from(out);
}

function frameHeader(length: number, type: number, flags: number): number[] {
  return [length >> 16, (length >> 8) & 255, length & 255, type, flags, 0, 0, 0, 1];
}

/** An HPACK string literal without Huffman coding: 7-bit prefix length, then the bytes. */
function str(out: number[], s: string): void {
  let v = s.length;
  if (v < 127) out.push(v);
  else {
    out.push(127);
    v -= 127;
    while (v >= 128) {
      out.push((v & 127) | 128);
      v >>= 7;
    }
    out.push(v);
  }
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 255);
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function indexOfHeadEnd(b: Uint8Array): number {
  for (let i = 3; i < b.length; i++) {
    if (b[i] === 10 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) return i - 3;
  }
  return -1;
}
