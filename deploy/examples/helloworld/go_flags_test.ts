import { assert, assertEquals, assertRejects } from "../../../tests/support/assert.ts";
import { FlagError, parseGoAddr, parseGoDuration, parseHelloWorldArgs } from "./go_flags.ts";

Deno.test("parseHelloWorldArgs() has the Go app's defaults", () => {
  assertEquals(parseHelloWorldArgs([]), {
    addr: ":7777",
    text: "Hello",
    target: "",
    latencyMs: 0,
    failureRate: 0,
    json: false,
    protocol: "http",
    help: false,
  });
});

Deno.test("parseHelloWorldArgs() reads -name=value, --name value and bare booleans", () => {
  const args = parseHelloWorldArgs([
    "-addr=:7777",
    "-text=Hello",
    "--target",
    "world",
    "-latency=100ms",
    "-failure-rate",
    "0.5",
    "-json",
  ]);
  assertEquals(args.addr, ":7777");
  assertEquals(args.text, "Hello");
  assertEquals(args.target, "world");
  assertEquals(args.latencyMs, 100);
  assertEquals(args.failureRate, 0.5);
  assertEquals(args.json, true);
  assertEquals(parseHelloWorldArgs(["-json=false"]).json, false);
  assertEquals(parseHelloWorldArgs(["-text="]).text, "");
  assertEquals(parseHelloWorldArgs(["-text=a=b"]).text, "a=b");
});

Deno.test("parseHelloWorldArgs() stops at -- or the first non-flag, and sees -help", () => {
  assertEquals(parseHelloWorldArgs(["-text=a", "--", "-text=b"]).text, "a");
  assertEquals(parseHelloWorldArgs(["-text=a", "extra", "-text=b"]).text, "a");
  assertEquals(parseHelloWorldArgs(["-h"]).help, true);
  assertEquals(parseHelloWorldArgs(["--help", "-nope"]).help, true);
});

Deno.test("parseHelloWorldArgs() throws FlagError with Go's messages", async () => {
  const cases: [string[], string][] = [
    [["-nope"], "flag provided but not defined: -nope"],
    [["-text"], "flag needs an argument: -text"],
    [["-latency=100"], 'invalid value "100" for -latency: time: invalid duration "100"'],
    [["-failure-rate=x"], 'invalid value "x" for -failure-rate: parse error'],
    [["-json=maybe"], 'invalid boolean value "maybe" for -json: parse error'],
    [["---x"], "bad flag syntax: ---x"],
  ];
  for (const [argv, message] of cases) {
    const e = await assertRejects(() => parseHelloWorldArgs(argv));
    assert(e instanceof FlagError, argv.join(" "));
    assertEquals(e.message, message);
  }
});

Deno.test("parseGoDuration() reads Go durations into milliseconds", async () => {
  assertEquals(parseGoDuration("100ms"), 100);
  assertEquals(parseGoDuration("1.5s"), 1_500);
  assertEquals(parseGoDuration("1m30s"), 90_000);
  assertEquals(parseGoDuration("1h"), 3_600_000);
  assertEquals(parseGoDuration("250us"), 0.25);
  assertEquals(parseGoDuration("0"), 0);
  assertEquals(parseGoDuration("-2s"), -2_000);
  for (const bad of ["", "100", "ms", "1x", "1s2", "1.s.s"]) {
    await assertRejects(() => parseGoDuration(bad), "time: invalid duration");
  }
});

Deno.test("parseGoAddr() splits Go listen addresses", async () => {
  assertEquals(parseGoAddr(":7777"), { hostname: "0.0.0.0", port: 7777 });
  assertEquals(parseGoAddr("127.0.0.1:0"), { hostname: "127.0.0.1", port: 0 });
  assertEquals(parseGoAddr("[::1]:7778"), { hostname: "::1", port: 7778 });
  for (const bad of ["7777", "a:b", "::1:80", ":70000"]) {
    await assertRejects(() => parseGoAddr(bad));
  }
});
