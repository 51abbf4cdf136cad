/**
 * `socketOptions` (Linkerd's `config.md` "Socket Options") against the real process: a raw-engine
 * server's `keepAlive` and a client's `keepAlive` turn SO_KEEPALIVE on (seen by `ss -o` as a
 * `keepalive` timer on the idle connection), and a server's `reusePort` holds (SO_REUSEPORT: another
 * socket that asks for it can bind the same port). Loopback only.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";

/** `ss -tnoH state established <filter>`: one line per matching socket, timers included. */
async function ss(filter: string): Promise<string[]> {
  const out = await new Deno.Command("ss", {
    args: ["-tnoH", "state", "established", filter],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim() !== "");
}

/** One request on a new keep-alive connection to `port`, left open; returns the connection. */
async function keptConnection(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: world\r\n\r\n"));
  const buf = new Uint8Array(4096);
  const n = await conn.read(buf);
  assert(n !== null && n > 0, "an answer");
  assertStringIncludes(new TextDecoder().decode(buf.subarray(0, n)), "HTTP/1.1 200");
  return conn;
}

Deno.test("socketOptions.keepAlive: SO_KEEPALIVE on the raw engine's accepted connections and on a client's upstream connections, and not without it", async () => {
  const upOn = startUpstream("world", () => new Response("on"));
  const upOff = startUpstream("world", () => new Response("off"));
  const dirOn = await fsNamerDir({ world: upOn.fsLine });
  const dirOff = await fsNamerDir({ world: upOff.fsLine });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers:
- {kind: io.l5d.fs, prefix: /on, rootDir: ${dirOn}}
- {kind: io.l5d.fs, prefix: /off, rootDir: ${dirOff}}
routers:
- protocol: http
  label: on
  dtab: /svc => /#/on;
  servers: [{port: 0, socketOptions: {keepAlive: true}}]
  client: {socketOptions: {keepAlive: true}}
- protocol: http
  label: off
  dtab: /svc => /#/off;
  servers: [{port: 0}]
`);
  const conns: Deno.Conn[] = [];
  try {
    const on = sy.ports["on"]![0]!, off = sy.ports["off"]![0]!;
    conns.push(await keptConnection(on), await keptConnection(off));
    // Switchyard's side of each client connection, and its connection to each upstream.
    const served = (port: number) => ss(`( sport = :${port} )`);
    const dialled = (port: number) => ss(`( dport = :${port} )`);
    const [sOn, sOff, dOn, dOff] = await Promise.all([
      served(on),
      served(off),
      dialled(upOn.port),
      dialled(upOff.port),
    ]);
    console.log([...sOn, ...sOff, ...dOn, ...dOff].join("\n"));
    assertEquals([sOn.length, sOff.length, dOn.length, dOff.length], [1, 1, 1, 1]);
    assertStringIncludes(sOn[0]!, "timer:(keepalive", "accepted with keepAlive: true");
    assert(!sOff[0]!.includes("keepalive"), "accepted without it");
    assertStringIncludes(dOn[0]!, "timer:(keepalive", "dialled by a client with keepAlive: true");
    assert(!dOff[0]!.includes("keepalive"), "dialled by a client without it");
  } finally {
    for (const c of conns) c.close();
    await sy.stop();
    await upOn.close();
    await upOff.close();
  }
});

Deno.test("socketOptions.reusePort: the server binds with SO_REUSEPORT, so another socket asking for it shares the port, and stays exclusive against one that does not", async () => {
  // Every router listener binds with SO_REUSEPORT (a reload opens the next socket beside the old
  // one, README "Hot reload"), so `reusePort: true` holds, and a socket without it cannot bind.
  const port = freePort();
  const dir = await fsNamerDir({ world: "127.0.0.1 1" });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers:
  - {port: ${port}, socketOptions: {reusePort: true}}
`);
  try {
    const bind = (reusePort: boolean) => {
      try {
        Deno.listen({ hostname: "127.0.0.1", port, reusePort }).close();
        return "bound";
      } catch (e: unknown) {
        return e instanceof Deno.errors.AddrInUse ? "in use" : String(e);
      }
    };
    assertEquals(bind(true), "bound");
    assertEquals(bind(false), "in use");
  } finally {
    await sy.stop();
  }
});
