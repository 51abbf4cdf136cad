/**
 * HTTP/1.0 through the real process: Linkerd forwards an HTTP/1.0 request as HTTP/1.0
 * (ViaHeaderAppenderFilter), so the upstream does not answer with HTTP/1.1 features. A raw TCP
 * upstream records the request lines it gets and answers in HTTP/1.0: close-delimited, or with
 * `Connection: keep-alive` and a length, in which case the connection is reused.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { rawUpstream } from "../support/raw_upstream.ts";
import { curl, fsNamerDir } from "../support/upstream.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A raw upstream: one head per request (no bodies), answered by path. */
function http10Upstream() {
  return rawUpstream(async (head, c) => {
    const line = head.split("\r\n")[0]!;
    const keepAsked = /\r\nconnection: *keep-alive/i.test(head);
    if (line.startsWith("GET /keep ") && keepAsked) {
      await c.write(
        enc.encode("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nkeep"),
      );
      return true;
    }
    if (line.endsWith("HTTP/1.1")) {
      await c.write(enc.encode("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n1.1"));
      return true;
    }
    // HTTP/1.0 without keep-alive: the body runs to the close.
    await c.write(enc.encode("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the close"));
    return false;
  });
}

/** Send one raw request and read until Switchyard closes the connection. */
async function exchange(port: number, raw: string): Promise<string> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await c.write(enc.encode(raw));
    let text = "";
    const buf = new Uint8Array(16384);
    for (;;) {
      const n = await c.read(buf);
      if (n === null) return text;
      text += dec.decode(buf.subarray(0, n));
    }
  } finally {
    c.close();
  }
}

Deno.test("http/1.0: an HTTP/1.0 request goes upstream as HTTP/1.0; close-delimited and keep-alive answers both work", async () => {
  const up = http10Upstream();
  const dir = await fsNamerDir({ up: `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const port = Number(sy.proxy().split(":")[1]);
    // Keep-alive answers: both requests ride one upstream connection.
    for (let i = 0; i < 2; i++) {
      const r = await exchange(port, "GET /keep HTTP/1.0\r\nHost: up\r\n\r\n");
      assert(r.startsWith("HTTP/1.0 200 ") || r.startsWith("HTTP/1.1 200 "), r);
      assert(r.endsWith("\r\n\r\nkeep"), r);
    }
    assertEquals(up.heads.length, 2);
    for (const head of up.heads) {
      assertEquals(head.split("\r\n")[0], "GET /keep HTTP/1.0");
      assertStringIncludes(head.toLowerCase(), "\r\nvia: 1.0 linkerd");
    }
    assertEquals(up.connections(), 1, "the keep-alive connection was reused");
    // A close-delimited HTTP/1.0 answer reaches the client whole.
    const closed = await exchange(port, "GET /close HTTP/1.0\r\nHost: up\r\n\r\n");
    assert(closed.startsWith("HTTP/1.0 200 ") || closed.startsWith("HTTP/1.1 200 "), closed);
    assert(closed.endsWith("\r\n\r\nto the close"), closed);
    assertEquals(up.heads.at(-1)!.split("\r\n")[0], "GET /close HTTP/1.0");
    // An HTTP/1.1 request still goes as HTTP/1.1, on a fresh connection (the last one closed).
    const r11 = await curl(["-H", "Host: up", `http://${sy.proxy()}/v11`]);
    assertEquals([r11.status, r11.body], [200, "1.1"]);
    assertEquals(up.heads.at(-1)!.split("\r\n")[0], "GET /v11 HTTP/1.1");
  } finally {
    await sy.stop();
    await up.close();
  }
});
