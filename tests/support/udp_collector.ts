/**
 * A StatsD stand-in for tests: a UDP socket on 127.0.0.1 (`node:dgram`, no `--unstable-net`)
 * that collects the datagrams it receives.
 */

/** The bits of `node:dgram` used here (the repo has no @types/node). */
interface UdpSocket {
  on(event: "message", fn: (msg: Uint8Array) => void): void;
  bind(port: number, host: string, cb: () => void): void;
  address(): { port: number };
  close(cb: () => void): void;
}

/** A StatsD stand-in: a UDP socket on 127.0.0.1 collecting datagrams. */
export async function udpCollector(): Promise<{
  port: number;
  datagrams: string[];
  lines(): string[];
  close(): Promise<void>;
}> {
  const specifier: string = "node:dgram";
  const dgram = (await import(specifier)).default as { createSocket(t: "udp4"): UdpSocket };
  const sock = dgram.createSocket("udp4");
  const datagrams: string[] = [];
  const dec = new TextDecoder();
  sock.on("message", (msg) => datagrams.push(dec.decode(msg)));
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  return {
    port: sock.address().port,
    datagrams,
    lines: () => datagrams.flatMap((d) => d.split("\n")),
    close: () => new Promise<void>((r) => sock.close(r)),
  };
}
