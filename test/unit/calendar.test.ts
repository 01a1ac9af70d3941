import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { skipUnless } from "../helpers/system-tools";
import { dailyMinuteOf, formatMinuteOfDay, parseCalendarEvent } from "../../src/rules/calendar";

const VALID = ["*-*-* 01:00", "mon..fri 02:30", "daily", "sat 03:00", "01:30", "*-*-* 00/2:00", "mon,wed,fri *-*-* 23:59:30", "2026-*-01 04:00", "weekly", "*-01,07-01 00:00"];
const INVALID: [string, string][] = [
  ["", "the schedule is empty"],
  ["25:00", "hour 25 is outside 0..23"],
  ["*-*-* 01:60", "minute 60 is outside 0..59"],
  ["fri..mon 01:00", "weekday range fri..mon runs backwards"],
  ["someday 01:00", '"someday" is not a weekday (mon..sun)'],
  ["*-13-* 01:00", "month 13 is outside 1..12"],
  ["01:00 mon", 'weekdays ("mon") must come first'],
  ["01:00 02:00", 'two times given ("02:00")'],
];

test("accepts the calendar events Proxmox and systemd accept", () => {
  for (const expr of VALID) assert.equal(parseCalendarEvent(expr).ok, true, expr);
});

test("rejects malformed events with the exact reason", () => {
  for (const [expr, reason] of INVALID) assert.deepEqual(parseCalendarEvent(expr), { ok: false, reason }, expr);
});

test("agrees with the real systemd-analyze on every case", { skip: skipUnless("systemd-analyze") }, () => {
  for (const expr of [...VALID, ...INVALID.map(([e]) => e).filter((e) => e !== "")]) {
    let systemdOk = true;
    try {
      execFileSync("systemd-analyze", ["calendar", expr], { stdio: "ignore" });
    } catch {
      systemdOk = false;
    }
    assert.equal(parseCalendarEvent(expr).ok, systemdOk, `systemd and the parser disagree on "${expr}"`);
  }
});

test("finds the single daily time of a schedule", () => {
  const cases: [string, number | null][] = [
    ["*-*-* 01:00", 60],
    ["daily", 0],
    ["01:30", 90],
    ["mon..fri 02:30", null],
    ["*-*-* 00/2:00", null],
    ["not a schedule", null],
  ];
  for (const [expr, minute] of cases) assert.equal(dailyMinuteOf(expr), minute, expr);
  assert.equal(formatMinuteOfDay(90), "01:30");
  assert.equal(formatMinuteOfDay(1440 + 75), "01:15");
});
