import { assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import { nextRollTime, parseRollPolicy, rolledName, rollFile, timeSuffix } from "./log_roll.ts";

function parseError(text: string): string {
  try {
    parseRollPolicy(text);
  } catch (e: unknown) {
    return (e as Error).message;
  }
  return "no error";
}

// twitter-util's Policy.parse, as Linkerd reads httpAccessLogRollPolicy (protocol-http.md).
Deno.test("parseRollPolicy() reads twitter-util's policies in any case", () => {
  assertEquals(parseRollPolicy(undefined), { kind: "never" });
  assertEquals(parseRollPolicy("Never"), { kind: "never" });
  assertEquals(parseRollPolicy("HOURLY"), { kind: "hourly" });
  assertEquals(parseRollPolicy("daily"), { kind: "daily" });
  assertEquals(parseRollPolicy("SigHup"), { kind: "sighup" });
  assertEquals(parseRollPolicy("Weekly(3)"), { kind: "weekly", dayOfWeek: 3 });
  assertEquals(parseRollPolicy("3.megabytes"), { kind: "maxSize", bytes: 3 * 1024 * 1024 });
  assertEquals(parseRollPolicy("1.kilobyte"), { kind: "maxSize", bytes: 1024 });
  assertEquals(parseRollPolicy("200.bytes"), { kind: "maxSize", bytes: 200 });
  assertStringIncludes(parseError("monthly"), "invalid log roll policy");
  assertStringIncludes(parseError("3.parsecs"), "invalid log roll policy");
});

// twitter-util FileHandler.computeNextRollTime, in local time.
Deno.test("nextRollTime() is the next hour, the next midnight, or the next midnight of day n", () => {
  const at = new Date(2026, 10, 26, 22, 5, 7, 9).getTime(); // a Thursday
  assertEquals(nextRollTime({ kind: "hourly" }, at), new Date(2026, 10, 26, 23).getTime());
  assertEquals(nextRollTime({ kind: "daily" }, at), new Date(2026, 10, 27).getTime());
  // Java's DAY_OF_WEEK: 1 = Sunday, so weekly(1) rolls at the start of Sunday the 29th
  assertEquals(
    nextRollTime({ kind: "weekly", dayOfWeek: 1 }, at),
    new Date(2026, 10, 29).getTime(),
  );
  // weekly(5) (Thursday) on a Thursday: the next Thursday, a week on
  assertEquals(nextRollTime({ kind: "weekly", dayOfWeek: 5 }, at), new Date(2026, 11, 3).getTime());
  assertEquals(nextRollTime({ kind: "never" }, at), undefined);
  assertEquals(nextRollTime({ kind: "sighup" }, at), undefined);
  assertEquals(nextRollTime({ kind: "maxSize", bytes: 10 }, at), undefined);
});

// twitter-util FileHandler.timeSuffix and roll(): `<prefix>-<suffix><ext>`.
Deno.test("rolledName() is <name>-<suffix><ext> with the policy's date format", () => {
  const at = new Date(2026, 10, 26, 9, 5, 7).getTime();
  assertEquals(timeSuffix({ kind: "hourly" }, at), "20261126-09");
  assertEquals(timeSuffix({ kind: "daily" }, at), "20261126");
  assertEquals(timeSuffix({ kind: "maxSize", bytes: 1 }, at), "20261126-090507");
  assertEquals(
    rolledName("/var/log/access.log", { kind: "hourly" }, at),
    "/var/log/access-20261126-09.log",
  );
  assertEquals(rolledName("/var/log/access", { kind: "daily" }, at), "/var/log/access-20261126");
  assertEquals(rolledName("/v.d/access", { kind: "daily" }, at), "/v.d/access-20261126");
  assertEquals(
    rolledName("a.log", { kind: "maxSize", bytes: 1 }, at, 2),
    "a-20261126-090507_002.log",
  );
});

Deno.test("rollFile() never replaces an earlier rolled file and keeps the newest rotateCount", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-roll-" });
  const path = `${dir}/access.log`;
  const policy = { kind: "maxSize", bytes: 1 } as const;
  const at = new Date(2026, 10, 26, 9, 5, 7).getTime();
  try {
    await Deno.writeTextFile(`${dir}/other.log`, "not ours\n");
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      await Deno.writeTextFile(path, `file ${i}\n`);
      // distinct modification times, oldest first
      const t = new Date(at + i * 1000);
      await Deno.utime(path, t, t);
      names.push(await rollFile(path, policy, at, 2));
    }
    assertEquals(names.map((n) => n.slice(dir.length + 1)), [
      "access-20261126-090507.log",
      "access-20261126-090507_001.log",
      "access-20261126-090507_002.log",
      "access-20261126-090507_003.log",
    ]);
    assertEquals([...names].sort(), names, "names sort in the order the files were rolled");
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assertEquals(left.sort(), [
      "access-20261126-090507_002.log",
      "access-20261126-090507_003.log",
      "other.log",
    ]);
    assertEquals(await Deno.readTextFile(`${dir}/access-20261126-090507_003.log`), "file 3\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
