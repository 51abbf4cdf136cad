/**
 * WebSocket pass-through with the real process: routed by Host like any request, subprotocol
 * negotiated by the upstream, text and binary both ways, close codes relayed, the socket survives
 * a config reload, and a dead upstream is a 502 with l5d-err.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, fsNamerDir } from "../support/upstream.ts";

function echoServer(name: string) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    if (req.headers.get("upgrade") !== "websocket") return new Response(name);
    const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((s) =>
      s.trim()
    );
    const host = req.headers.get("host");
    const dst = req.headers.get("l5d-dst-service");
    const { socket, response } = Deno.upgradeWebSocket(req, { protocol: offered.at(-1) ?? "" });
    socket.binaryType = "arraybuffer";
    socket.onopen = () => socket.send(`hello from ${name} host=${host} dst=${dst}`);
    socket.onmessage = (e) => {
      if (e.data === "close-me") socket.close(4001, "bye");
      else if (typeof e.data === "string") socket.send(`echo:${e.data}`);
      else socket.send(new Uint8Array(e.data as ArrayBuffer).reverse());
    };
    return response;
  });
  return { port: (server.addr as Deno.NetAddr).port, close: () => server.shutdown() };
}

function next(ws: WebSocket): Promise<string | ArrayBuffer> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no message in 5 s")), 5000);
    ws.addEventListener("message", (e) => {
      clearTimeout(t);
      resolve(e.data);
    }, { once: true });
  });
}

Deno.test("websocket: routed, negotiated, relayed both ways, survives a reload; dead upstream → 502", async () => {
  const echo = echoServer("echo");
  const dir = await fsNamerDir({ chat: `127.0.0.1 ${echo.port}`, dead: "127.0.0.1 1" });
  const cfgDir = await Deno.makeTempDir();
  const yaml = (extra: string) => `
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  identifier: {kind: io.l5d.path, segments: 1}
  dtab: /svc => /#/io.l5d.fs;${extra}
  servers: [{port: 0}]
`;
  const sy = await startSwitchyard(yaml(""), { configPath: `${cfgDir}/c.yaml` });
  try {
    const ws = new WebSocket(`ws://${sy.proxy()}/chat`, ["v1.chat", "v2.chat"]);
    ws.binaryType = "arraybuffer";
    const first = next(ws);
    await new Promise((r, j) => {
      ws.onopen = r;
      ws.onerror = () => j(new Error("client handshake failed"));
    });
    assertEquals(ws.protocol, "v2.chat", "the upstream's choice reaches the client");
    const hello = String(await first);
    assert(hello.startsWith("hello from echo"), hello);
    assert(hello.includes("dst=/svc/chat"), hello);
    ws.send("hi");
    assertEquals(await next(ws), "echo:hi");
    ws.send(new Uint8Array([1, 2, 3]));
    assertEquals([...new Uint8Array((await next(ws)) as ArrayBuffer)], [3, 2, 1]);
    // A reload while the socket is open: it keeps working.
    await Deno.writeTextFile(`${cfgDir}/c.yaml`, yaml(" /svc/other => /svc/chat;"));
    assert(
      await eventually(async () => {
        const s = JSON.parse((await curl([`${sy.admin}/admin/reload`])).body);
        return s.reloads >= 1;
      }, 3000),
      "reloaded",
    );
    ws.send("after reload");
    assertEquals(await next(ws), "echo:after reload");
    const closed = new Promise<CloseEvent>((r) => (ws.onclose = r));
    ws.send("close-me");
    const ev = await closed;
    assertEquals([ev.code, ev.reason], [4001, "bye"]);
    // A dead upstream: the handshake fails with 502 and l5d-err, nothing hangs.
    const dead = await curl([
      "-H",
      "Connection: Upgrade",
      "-H",
      "Upgrade: websocket",
      "-H",
      "Sec-WebSocket-Version: 13",
      "-H",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      `http://${sy.proxy()}/dead`,
    ]);
    assertEquals(dead.status, 502);
    assert(dead.headers.get("l5d-err"), "l5d-err on a failed upstream handshake");
  } finally {
    await sy.stop();
    await echo.close();
  }
});

/** A raw WebSocket client handshake over TCP; returns the socket once the 101 arrived. */
async function rawWebSocket(addr: string, path: string): Promise<Deno.Conn> {
  const [hostname, port] = addr.split(":") as [string, string];
  const c = await Deno.connect({ hostname, port: Number(port) });
  const head = `GET ${path} HTTP/1.1\r\nHost: ${addr}\r\nUpgrade: websocket\r\n` +
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
    "Sec-WebSocket-Version: 13\r\n\r\n";
  await c.write(new TextEncoder().encode(head));
  const buf = new Uint8Array(4096);
  let text = "";
  while (!text.includes("\r\n\r\n")) {
    const n = await c.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  assert(text.startsWith("HTTP/1.1 101"), text);
  return c;
}

Deno.test("websocket: a client going away (close 1001) or dropping the socket never takes the process down", async () => {
  const echo = echoServer("echo");
  const dir = await fsNamerDir({ chat: `127.0.0.1 ${echo.port}` });
  // `engine: serve`: the Deno.serve path (also TLS listeners' default) relays with WebSocket
  // objects, whose close() throws on 1001/1011.
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  identifier: {kind: io.l5d.path, segments: 1}
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0, engine: serve}]
`);
  try {
    // A masked close frame with code 1001 ("going away", what a browser sends on tab close).
    const going = await rawWebSocket(sy.proxy(), "/chat");
    await going.write(new Uint8Array([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe9 ^ 2]));
    await new Promise((r) => setTimeout(r, 300));
    going.close();
    // A client that drops the connection without a close frame.
    const dropped = await rawWebSocket(sy.proxy(), "/chat");
    dropped.close();
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(
      (await curl([`${sy.admin}/admin/ping`])).body,
      "pong",
      sy.logs.slice(-5).join("\n"),
    );
    const again = await rawWebSocket(sy.proxy(), "/chat");
    again.close();
  } finally {
    await sy.stop();
    await echo.close();
  }
});
