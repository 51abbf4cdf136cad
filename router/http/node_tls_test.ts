import { assertEquals } from "../../tests/support/assert.ts";
import { makeCerts } from "../../tests/support/certs.ts";
import { isX509v1 } from "./node_tls.ts";

Deno.test("isX509v1() tells an `openssl x509 -req` v1 certificate from a v3 one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await makeCerts(dir, { web: "DNS:web" }); // ca.pem and web.pem: v3 (extensions)
    const v1 = new Deno.Command("bash", {
      args: [
        "-c",
        "openssl req -newkey rsa:2048 -nodes -keyout v1.key -out v1.csr -subj /CN=v1 " +
        "2>/dev/null && openssl x509 -req -in v1.csr -CA ca.pem -CAkey ca.key -CAcreateserial " +
        "-out v1.pem -days 2 2>/dev/null && openssl x509 -in v1.pem -noout -text | grep -c " +
        "'Version: 1'",
      ],
      cwd: dir,
      stdout: "piped",
    }).outputSync();
    const read = (f: string) => Deno.readTextFileSync(`${dir}/${f}`);
    assertEquals(new TextDecoder().decode(v1.stdout).trim(), "1", "openssl wrote a v1 cert");
    assertEquals([isX509v1(read("v1.pem")), isX509v1(read("web.pem")), isX509v1(read("ca.pem"))], [
      true,
      false,
      false,
    ]);
    assertEquals([
      isX509v1(""),
      isX509v1("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----"),
    ], [
      false,
      false,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
