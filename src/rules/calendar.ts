/**
 * Calendar events as Proxmox backup jobs and systemd timers take them
 * (`*-*-* 01:00`, `mon..fri 02:30`, `daily`). Proxmox accepts a subset of systemd's
 * syntax; this parser accepts that subset and nothing wider, so that a schedule that
 * passes here is accepted both by vzdump and by `systemd-analyze calendar`.
 */

/** One field of an event: `null` means every value (`*`). */
export type FieldValues = readonly number[] | null;

/** A parsed calendar event, expanded to the sets of values each field takes. */
export interface CalendarEvent {
  readonly weekdays: FieldValues; // 0 = monday .. 6 = sunday
  readonly years: FieldValues;
  readonly months: FieldValues;
  readonly days: FieldValues;
  readonly hours: FieldValues;
  readonly minutes: FieldValues;
  readonly seconds: FieldValues;
}

export type CalendarParse = { ok: true; event: CalendarEvent } | { ok: false; reason: string };

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const LONG_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

const SHORTHANDS: Record<string, string> = {
  minutely: "*-*-* *:*:00",
  hourly: "*-*-* *:00:00",
  daily: "*-*-* 00:00:00",
  weekly: "mon *-*-* 00:00:00",
  monthly: "*-*-01 00:00:00",
  yearly: "*-01-01 00:00:00",
  annually: "*-01-01 00:00:00",
  quarterly: "*-01,04,07,10-01 00:00:00",
  semiannually: "*-01,07-01 00:00:00",
};

interface Bounds {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

const YEAR: Bounds = { name: "year", min: 1970, max: 2199 };
const MONTH: Bounds = { name: "month", min: 1, max: 12 };
const DAY: Bounds = { name: "day", min: 1, max: 31 };
const HOUR: Bounds = { name: "hour", min: 0, max: 23 };
const MINUTE: Bounds = { name: "minute", min: 0, max: 59 };
const SECOND: Bounds = { name: "second", min: 0, max: 59 };

class CalendarSyntaxError extends Error {}

function parseNumber(text: string, bounds: Bounds): number {
  if (!/^\d{1,4}$/.test(text)) throw new CalendarSyntaxError(`${bounds.name} "${text}" is not a number`);
  const value = Number(text);
  if (value < bounds.min || value > bounds.max) {
    throw new CalendarSyntaxError(`${bounds.name} ${value} is outside ${bounds.min}..${bounds.max}`);
  }
  return value;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** `*`, `N`, `N..M`, `N/S`, `*\/S`, `N..M/S`, joined by commas. */
function parseField(text: string, bounds: Bounds): FieldValues {
  if (text === "*") return null;
  const values = new Set<number>();
  for (const item of text.split(",")) {
    const [body = "", stepText, extra] = item.split("/");
    if (extra !== undefined) throw new CalendarSyntaxError(`${bounds.name} "${item}" has more than one "/"`);
    const step = stepText === undefined ? 1 : parseNumber(stepText, { name: `${bounds.name} step`, min: 1, max: bounds.max || 1 });
    let from: number;
    let to: number;
    if (body === "*") {
      if (stepText === undefined) throw new CalendarSyntaxError(`${bounds.name} "*" cannot be part of a list`);
      [from, to] = [bounds.min, bounds.max];
    } else if (body.includes("..")) {
      const [a = "", b = ""] = body.split("..");
      [from, to] = [parseNumber(a, bounds), parseNumber(b, bounds)];
      if (from > to) throw new CalendarSyntaxError(`${bounds.name} range ${body} runs backwards`);
    } else {
      from = parseNumber(body, bounds);
      to = stepText === undefined ? from : bounds.max;
    }
    for (const v of range(from, to, step)) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

function weekdayIndex(name: string): number {
  const lower = name.toLowerCase();
  const short = WEEKDAYS.indexOf(lower as (typeof WEEKDAYS)[number]);
  const index = short >= 0 ? short : LONG_WEEKDAYS.indexOf(lower);
  if (index < 0) throw new CalendarSyntaxError(`"${name}" is not a weekday (mon..sun)`);
  return index;
}

function parseWeekdays(text: string): FieldValues {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    if (item.includes("..")) {
      const [a = "", b = ""] = item.split("..");
      const [from, to] = [weekdayIndex(a), weekdayIndex(b)];
      if (from > to) throw new CalendarSyntaxError(`weekday range ${item} runs backwards`);
      for (const v of range(from, to, 1)) values.add(v);
    } else {
      values.add(weekdayIndex(item));
    }
  }
  return [...values].sort((a, b) => a - b);
}

function parseDate(text: string): Pick<CalendarEvent, "years" | "months" | "days"> {
  const parts = text.split("-");
  if (parts.length === 2) {
    return { years: null, months: parseField(parts[0] ?? "", MONTH), days: parseField(parts[1] ?? "", DAY) };
  }
  if (parts.length === 3) {
    return {
      years: parseField(parts[0] ?? "", YEAR),
      months: parseField(parts[1] ?? "", MONTH),
      days: parseField(parts[2] ?? "", DAY),
    };
  }
  throw new CalendarSyntaxError(`date "${text}" is not [YEAR-]MONTH-DAY`);
}

function parseTime(text: string): Pick<CalendarEvent, "hours" | "minutes" | "seconds"> {
  const parts = text.split(":");
  if (parts.length !== 2 && parts.length !== 3) throw new CalendarSyntaxError(`time "${text}" is not HOUR:MINUTE[:SECOND]`);
  return {
    hours: parseField(parts[0] ?? "", HOUR),
    minutes: parseField(parts[1] ?? "", MINUTE),
    seconds: parts[2] === undefined ? [0] : parseField(parts[2], SECOND),
  };
}

/** Parses a calendar event; never throws. */
export function parseCalendarEvent(expression: string): CalendarParse {
  const text = expression.trim();
  const expanded = SHORTHANDS[text.toLowerCase()] ?? text;
  if (expanded === "") return { ok: false, reason: "the schedule is empty" };
  try {
    const tokens = expanded.split(/\s+/);
    let weekdays: FieldValues = null;
    let date: Pick<CalendarEvent, "years" | "months" | "days"> = { years: null, months: null, days: null };
    let time: Pick<CalendarEvent, "hours" | "minutes" | "seconds"> = { hours: [0], minutes: [0], seconds: [0] };
    let sawDate = false;
    let sawTime = false;
    for (const [i, token] of tokens.entries()) {
      if (token.includes(":")) {
        if (sawTime) throw new CalendarSyntaxError(`two times given ("${token}")`);
        time = parseTime(token);
        sawTime = true;
      } else if (/^[a-z]/i.test(token)) {
        if (i !== 0) throw new CalendarSyntaxError(`weekdays ("${token}") must come first`);
        weekdays = parseWeekdays(token);
      } else if (token.includes("-")) {
        if (sawDate || sawTime) throw new CalendarSyntaxError(`date "${token}" is out of place`);
        date = parseDate(token);
        sawDate = true;
      } else {
        throw new CalendarSyntaxError(`"${token}" is neither a weekday, a date nor a time`);
      }
    }
    return { ok: true, event: { weekdays, ...date, ...time } };
  } catch (error) {
    if (error instanceof CalendarSyntaxError) return { ok: false, reason: error.message };
    throw error;
  }
}

/**
 * The minute of the day at which an event fires, when it fires exactly once every
 * day (`*-*-* 01:30`, `daily`, `01:30`); `null` otherwise. The offsite window is
 * planned from it, so a schedule that does not fire daily cannot be paired.
 */
export function dailyMinuteOf(expression: string): number | null {
  const parsed = parseCalendarEvent(expression);
  if (!parsed.ok) return null;
  const e = parsed.event;
  const everyDay = e.weekdays === null && e.years === null && e.months === null && e.days === null;
  const once = e.hours?.length === 1 && e.minutes?.length === 1 && e.seconds?.length === 1;
  if (!everyDay || !once) return null;
  return (e.hours?.[0] ?? 0) * 60 + (e.minutes?.[0] ?? 0);
}

/** The minute of the day an event fires at, when it fires at one time of day (on any days); `null` otherwise. */
export function timeOfDay(expression: string): number | null {
  const parsed = parseCalendarEvent(expression);
  if (!parsed.ok) return null;
  const { hours, minutes, seconds } = parsed.event;
  if (hours?.length !== 1 || minutes?.length !== 1 || seconds?.length !== 1) return null;
  return (hours[0] ?? 0) * 60 + (minutes[0] ?? 0);
}

/** `HH:MM` of a minute of the day (wraps past midnight). */
export function formatMinuteOfDay(minute: number): string {
  const m = ((Math.round(minute) % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}
