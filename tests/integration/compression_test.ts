/**
 * Linkerd's `compressionLevel` (L1 `protocol-http.md`): by default (-1) textual responses are
 * gzip-encoded for clients that accept gzip; 0 turns it off; 1–9 compress every content type.
 * Real curl decodes what the real process sent.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream } from "../support/upstream.ts";

const TEXT = "hello compressible world\n".repeat(400);
const BINARY = new Uint8Array(4000).fill(7);

async function gzipped(proxy: string, path: string, accept = true) {
  const args = ["-H", "Host: web", `http://${proxy}${path}`];
  const r = await curl(accept ? ["--compressed", ...args] : args);
  return { status: r.status, encoding: r.headers.get("content-encoding"), r };
}

Deno.test("compressionLevel: -1 gzips textual responses for gzip clients; 0 is off; 9 gzips all", async () => {
  const up = startUpstream(
    "web",
    (req) =>
      new URL(req.url).pathname === "/bin"
        ? new Response(BINARY, { headers: { "content-type": "application/octet-stream" } })
        : new Response(TEXT, { headers: { "content-type": "text/plain; charset=utf-8" } }),
  );
  const disco = await fsNamerDir({ web: up.fsLine });
  const config = (level?: number) => `
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  ${level === undefined ? "" : `compressionLevel: ${level}`}
  servers: [{port: 0}]
`;
  const def = await startSwitchyard(config());
  try {
    const text = await gzipped(def.proxy(), "/text");
    assertEquals([text.status, text.encoding], [200, "gzip"]);
    assertEquals(text.r.body, TEXT, "curl decodes the gzip body");
    assertEquals(text.r.headers.get("vary"), "accept-encoding");
    // Without Accept-Encoding: as the upstream sent it.
    const plain = await gzipped(def.proxy(), "/text", false);
    assertEquals([plain.encoding, plain.r.body.length], [null, TEXT.length]);
    // Not textual: left alone at -1.
    const bin = await gzipped(def.proxy(), "/bin");
    assertEquals([bin.status, bin.encoding], [200, null]);
    const refused = await curl([
      "-H",
      "Accept-Encoding: gzip;q=0",
      "-H",
      "Host: web",
      `http://${def.proxy()}/text`,
    ]);
    assertEquals(refused.headers.get("content-encoding"), null);
  } finally {
    await def.stop();
  }
  const off = await startSwitchyard(config(0));
  try {
    assertEquals((await gzipped(off.proxy(), "/text")).encoding, null);
  } finally {
    await off.stop();
  }
  const all = await startSwitchyard(config(9));
  try {
    const bin = await gzipped(all.proxy(), "/bin");
    assertEquals(bin.encoding, "gzip");
    assert(bin.r.body.length === BINARY.length, `decoded ${bin.r.body.length} bytes`);
  } finally {
    await all.stop();
    await up.close();
  }
});
