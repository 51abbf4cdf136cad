import { assertEquals } from "../tests/support/assert.ts";
import {
  combineDeadlines,
  formatGrpcTimeout,
  formatL5dDeadline,
  nsToMs,
  parseGrpcTimeout,
  parseL5dDeadline,
  parseL5dDeadlineNs,
} from "./deadline.ts";

Deno.test("parseL5dDeadline() reads '<timestamp_ns> <deadline_ns>' as epoch ms", () => {
  assertEquals(parseL5dDeadline("1700000000000000000 1700000000050000000"), {
    timestampMs: 1700000000000,
    deadlineMs: 1700000000050,
  });
  assertEquals(
    parseL5dDeadline("1700000000000000000 1700000000050500000")?.deadlineMs,
    1700000000050.5,
  );
});

Deno.test("parseL5dDeadline() combines repeated values to the strictest", () => {
  const v = "100000000 900000000, 200000000 500000000,300000000 700000000";
  assertEquals(parseL5dDeadline(v), { timestampMs: 300, deadlineMs: 500 });
});

Deno.test("parseL5dDeadline() ignores malformed entries", () => {
  assertEquals(parseL5dDeadline(null), undefined);
  assertEquals(parseL5dDeadline(""), undefined);
  assertEquals(parseL5dDeadline("soon"), undefined);
  assertEquals(parseL5dDeadline("1 2 3"), undefined);
  assertEquals(parseL5dDeadline("1.5 2"), undefined);
  assertEquals(parseL5dDeadline("x, 1000000 2000000"), { timestampMs: 1, deadlineMs: 2 });
});

Deno.test("formatL5dDeadline() round-trips parseL5dDeadline()", () => {
  const d = { timestampMs: 1700000000123, deadlineMs: 1700000000223.25 };
  const s = formatL5dDeadline(d);
  assertEquals(s, "1700000000123000000 1700000000223250000");
  assertEquals(parseL5dDeadline(s), d);
});

Deno.test("combineDeadlines() keeps the latest timestamp and the earliest deadline", () => {
  assertEquals(
    combineDeadlines({ timestampMs: 1, deadlineMs: 10 }, { timestampMs: 2, deadlineMs: 20 }),
    { timestampMs: 2, deadlineMs: 10 },
  );
});

Deno.test("parseGrpcTimeout() reads every unit", () => {
  assertEquals(parseGrpcTimeout("1H"), 3_600_000);
  assertEquals(parseGrpcTimeout("2M"), 120_000);
  assertEquals(parseGrpcTimeout("3S"), 3000);
  assertEquals(parseGrpcTimeout("250m"), 250);
  assertEquals(parseGrpcTimeout("1500u"), 1.5);
  assertEquals(parseGrpcTimeout("2000000n"), 2);
  assertEquals(parseGrpcTimeout("123456789m"), undefined); // 9 digits
  assertEquals(parseGrpcTimeout("10x"), undefined);
  assertEquals(parseGrpcTimeout("m"), undefined);
  assertEquals(parseGrpcTimeout(null), undefined);
});

Deno.test("formatGrpcTimeout() uses the finest unit that fits 8 digits, rounding up", () => {
  assertEquals(formatGrpcTimeout(50), "50000000n");
  assertEquals(formatGrpcTimeout(250), "250000u");
  assertEquals(formatGrpcTimeout(0.3), "300000n");
  assertEquals(formatGrpcTimeout(100_000), "100000m");
  assertEquals(formatGrpcTimeout(100_000_000), "100000S");
  assertEquals(formatGrpcTimeout(-5), "0n");
  assertEquals(parseGrpcTimeout(formatGrpcTimeout(1234.5)), 1234.5);
});

Deno.test("parseL5dDeadlineNs() keeps nanoseconds exactly and combines as Deadline.combined", () => {
  // 19-digit epoch ns do not fit a double: the bigint form keeps them.
  assertEquals(parseL5dDeadlineNs("1795764308022000123 1795764313022456789"), {
    timestampNs: 1795764308022000123n,
    deadlineNs: 1795764313022456789n,
  });
  assertEquals(parseL5dDeadlineNs("1 10, junk, 2 8"), { timestampNs: 2n, deadlineNs: 8n });
  assertEquals(parseL5dDeadlineNs("soon"), undefined);
  assertEquals(nsToMs(1_500_000n), 1.5);
});
