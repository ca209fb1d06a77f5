// When an EventBridge Scheduler expression fires: the UTC instants of cron, rate and at schedules
// in an IANA time zone, following the service's daylight-saving rules, so the local scheduler and
// previews agree with what AWS would run.
//
// Cron calendar arithmetic (L, W, #, steps, years) is croner's, evaluated on local wall-clock
// time with no zone. Wall-clock times are turned into instants here rather than by croner's
// `timezone` option, because croner follows Vixie cron across DST changes and EventBridge does
// not: croner runs a fixed-time job that falls in a spring-forward gap at the end of the gap
// (02:30 becomes 03:00) where EventBridge skips it, and runs interval jobs (hourly, */5) twice in
// the repeated hour where EventBridge runs each local time once.

import { Cron } from 'croner';
import { isValidTimeZone, scheduleExpressionKind, validateScheduleExpression } from './schedule-expression.js';

export interface FireTimeOptions {
  /**
   * Where a rate schedule counts from: it fires at anchor + k × interval for k = 0, 1, 2, ...
   * The service anchors a rate schedule at its StartDate, or at its creation when it has none.
   * Defaults to the Unix epoch (1970-01-01T00:00:00Z), which puts rate(5 minutes) on :00, :05,
   * ... and rate(1 day) on 00:00 UTC. Ignored by cron and at expressions.
   */
  anchor?: Date;
}

/** The most fire times `fireTimesBetween` returns when no limit is given. */
export const DEFAULT_FIRE_TIME_LIMIT = 1000;

/**
 * The first `count` times the schedule fires strictly after `after`, as Date objects (UTC
 * instants), earliest first. Fewer when the schedule ends (an at() expression, a year field).
 * Throws an Error with the validator's reason for an invalid expression or time zone.
 */
export function nextFireTimes(
  expression: string,
  timezone: string,
  after: Date,
  count: number,
  options: FireTimeOptions = {},
): Date[] {
  checkCount('count', count);
  const times: Date[] = [];
  if (count === 0) return times;
  for (const time of fireTimesAfter(expression, timezone, after, options)) {
    times.push(time);
    if (times.length >= count) break;
  }
  return times;
}

/**
 * The times the schedule fires in the window from < t <= to, earliest first, at most `limit` of
 * them (the earliest ones). The window is open at `from` and closed at `to` so that consecutive
 * windows (a, b], (b, c] cover every fire time exactly once: a scheduler that last looked at `a`
 * and now looks at `b` gets each time that became due, and one due exactly at `b` is not
 * returned again on the next look.
 */
export function fireTimesBetween(
  expression: string,
  timezone: string,
  from: Date,
  to: Date,
  limit: number = DEFAULT_FIRE_TIME_LIMIT,
  options: FireTimeOptions = {},
): Date[] {
  checkCount('limit', limit);
  checkDate('to', to);
  if (to.getTime() < from.getTime()) {
    throw new RangeError(`fire time window ends (${to.toISOString()}) before it starts (${from.toISOString()})`);
  }
  const times: Date[] = [];
  if (limit === 0) return times;
  for (const time of fireTimesAfter(expression, timezone, from, options)) {
    if (time.getTime() > to.getTime()) break;
    times.push(time);
    if (times.length >= limit) break;
  }
  return times;
}

/** Every fire time strictly after `after`, earliest first; may be endless. */
function fireTimesAfter(expression: string, timezone: string, after: Date, options: FireTimeOptions): Iterable<Date> {
  const problem = validateScheduleExpression(expression);
  if (problem) throw new Error(problem);
  if (!isValidTimeZone(timezone)) throw new Error(`"${timezone}" is not an IANA time zone (e.g. Europe/Berlin, UTC)`);
  checkDate('after', after);
  switch (scheduleExpressionKind(expression)) {
    case 'cron':
      return cronFireTimes(expression, timezone, after);
    case 'rate':
      return rateFireTimes(expression, after, options.anchor ?? new Date(0));
    case 'at':
      return atFireTime(expression, timezone, after);
    default:
      // Unreachable: the validator accepts only the three kinds.
      throw new Error(`"${expression}" is not a schedule expression`);
  }
}

// ---------------------------------------------------------------------------------------------
// cron(minutes hours day-of-month month day-of-week year)

/**
 * Walks the matching local wall-clock times with croner, then places each in the zone:
 * a wall-clock time that does not exist (spring forward) is skipped, and one that exists twice
 * (fall back) fires once, at its first occurrence, i.e. with the summer-time offset.
 *
 * Starting the walk at the wall-clock time of `after` misses nothing: taking the first
 * occurrence makes the wall-clock → instant mapping increasing, so a wall-clock time at or before
 * that of `after` maps to an instant at or before `after`. The reverse does not hold inside a
 * repeated hour (02:45 on the first pass comes before 02:30 on the second), hence the filter.
 */
function* cronFireTimes(expression: string, timezone: string, after: Date): Generator<Date> {
  const cron = new Cron(toCronerPattern(expression), { utcOffset: 0, mode: '7-part', domAndDow: true });
  let wall: Date | null = new Date(wallClockMs(after.getTime(), timezone));
  while ((wall = cron.nextRun(wall)) !== null) {
    const [first] = instantsAt(wall.getTime(), timezone);
    if (first === undefined) continue;
    if (first <= after.getTime()) continue;
    yield new Date(first);
  }
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * The croner pattern (seconds minutes hours dom month dow year) for a valid EventBridge cron
 * expression. Differences bridged here:
 * - day-of-week is 1=SUN … 7=SAT in EventBridge and 0=SUN … 6=SAT in croner (numbers are
 *   shifted and names turned into numbers, so n#k and nL shift too);
 * - `L` alone in day-of-week means Saturday, the last day of the week (as in Quartz, whose syntax
 *   EventBridge follows); croner rejects it, so it becomes 6;
 * - `nL` (last weekday n of the month) is croner's `n#L`;
 * - `?` is croner's `*`, and dom/dow are ANDed, so the `*` on the other side is neutral;
 * - a step from a single start (`5/15`, Quartz style) runs to the end of the field's range;
 *   croner only takes `*`/range steps unless told to be sloppy.
 */
function toCronerPattern(expression: string): string {
  const fields = expression.slice('cron('.length, -1).trim().split(/\s+/);
  const [minutes = '', hours = '', dayOfMonth = '', month = '', dayOfWeek = '', year = ''] = fields;
  return [
    '0',
    openSteps(minutes, 59),
    openSteps(hours, 23),
    dayOfMonth === '?' ? '*' : openSteps(dayOfMonth, 31),
    openSteps(namesToNumbers(month, MONTH_NAMES, 1), 12),
    dayOfWeek === '?' ? '*' : cronerDayOfWeek(dayOfWeek),
    openSteps(year, 2199),
  ].join(' ');
}

/** `n/s` → `n-max/s`; other items unchanged. */
function openSteps(field: string, max: number): string {
  return field
    .split(',')
    .map((item) => item.replace(/^(\d+)\/(\d+)$/, `$1-${max}/$2`))
    .join(',');
}

/** Replaces names with their numbers; `firstNumber` is the number of names[0]. */
function namesToNumbers(field: string, names: readonly string[], firstNumber: number): string {
  return field.replace(/[A-Za-z]{3}/g, (name) => {
    const index = names.indexOf(name.toUpperCase());
    return index < 0 ? name : String(index + firstNumber);
  });
}

function cronerDayOfWeek(field: string): string {
  if (field === 'L') return '6';
  // Numbers are 1=SUN … 7=SAT; names become those numbers first so all shift alike.
  const numbered = namesToNumbers(field, WEEKDAY_NAMES, 1);
  const last = /^(\d)L$/.exec(numbered);
  if (last) return `${Number(last[1]) - 1}#L`;
  const nth = /^(\d)#(\d)$/.exec(numbered);
  if (nth) return `${Number(nth[1]) - 1}#${nth[2]}`;
  // Lists and ranges (steps are not allowed in EventBridge's day-of-week).
  return numbered.replace(/\d+/g, (n) => String(Number(n) - 1));
}

// ---------------------------------------------------------------------------------------------
// rate(value unit)

const UNIT_MS: Readonly<Record<string, number>> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

/**
 * Fixed durations counted from the anchor: rate(1 day) is every 24 hours, so its local time
 * moves by an hour across a DST change. Nothing fires before the anchor.
 */
function* rateFireTimes(expression: string, after: Date, anchor: Date): Generator<Date> {
  checkDate('anchor', anchor);
  const [value = '', unit = ''] = expression.slice('rate('.length, -1).split(' ');
  const interval = Number(value) * (UNIT_MS[unit] ?? Number.NaN);
  const elapsed = after.getTime() - anchor.getTime();
  let k = elapsed < 0 ? 0 : Math.floor(elapsed / interval) + 1;
  for (;;) {
    const time = anchor.getTime() + k * interval;
    if (time > MAX_DATE_MS) return;
    yield new Date(time);
    k += 1;
  }
}

const MAX_DATE_MS = 8.64e15;

// ---------------------------------------------------------------------------------------------
// at(yyyy-mm-ddThh:mm:ss)

/**
 * The one local time, placed in the zone. A time repeated by a fall-back change fires at its
 * first occurrence, as cron does. A time inside a spring-forward gap fires the gap's length
 * later (02:30 on a day that jumps 02:00 → 03:00 fires at 03:30), as JavaScript and Temporal
 * resolve such times: unverified against the service, chosen because a one-time schedule that
 * silently never runs would surprise more than one that runs an hour late.
 */
function* atFireTime(expression: string, timezone: string, after: Date): Generator<Date> {
  const [date = '', time = ''] = expression.slice('at('.length, -1).split('T');
  const [year = 0, month = 0, day = 0] = date.split('-').map(Number);
  const [hour = 0, minute = 0, second = 0] = time.split(':').map(Number);
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const instant = instantsAt(wall, timezone)[0] ?? wall - offsetMs(wall - DAY_MS, timezone);
  if (instant > after.getTime()) yield new Date(instant);
}

// ---------------------------------------------------------------------------------------------
// Wall-clock time in a zone. A "wall" value is the local date and time written as if it were
// UTC milliseconds (2026-03-29 02:30 local → Date.UTC(2026, 2, 29, 2, 30)).

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

const HOUR_MS = 3_600_000;
/** Per zone: hour number → offset for hours with no change inside them. */
const hourOffsets = new Map<string, Map<number, number>>();

/**
 * The zone's offset from UTC at an instant, in ms (Berlin in summer: +7,200,000). Intl is slow
 * (tens of microseconds a call) and a minute-by-minute cron asks for the same hour many times,
 * so an hour whose first and last second share an offset is remembered; zones change offset at
 * most once an hour.
 */
function offsetMs(instant: number, timezone: string): number {
  let cache = hourOffsets.get(timezone);
  if (!cache) hourOffsets.set(timezone, (cache = new Map()));
  const hour = Math.floor(instant / HOUR_MS);
  const cached = cache.get(hour);
  if (cached !== undefined) return cached;
  const start = offsetAtSecond(hour * HOUR_MS, timezone);
  if (start !== offsetAtSecond((hour + 1) * HOUR_MS - 1000, timezone)) return offsetAtSecond(instant, timezone);
  if (cache.size >= 100_000) cache.clear();
  cache.set(hour, start);
  return start;
}

function offsetAtSecond(instant: number, timezone: string): number {
  const seconds = Math.floor(instant / 1000) * 1000;
  const part: Record<string, number> = {};
  for (const { type, value } of formatterFor(timezone).formatToParts(seconds)) part[type] = Number(value);
  const local = Date.UTC(part.year ?? 0, (part.month ?? 1) - 1, part.day ?? 1, part.hour ?? 0, part.minute ?? 0, part.second ?? 0);
  return local - seconds;
}

function wallClockMs(instant: number, timezone: string): number {
  return instant + offsetMs(instant, timezone);
}

/**
 * The instants at which the zone's clocks show `wall`, earliest first: none in a spring-forward
 * gap, two in a fall-back repeat, otherwise one. Offsets are sampled a day either side, which
 * holds for every zone whose changes are more than two days apart.
 */
function instantsAt(wall: number, timezone: string): number[] {
  const offsets = new Set([offsetMs(wall - DAY_MS, timezone), offsetMs(wall + DAY_MS, timezone)]);
  const instants: number[] = [];
  for (const offset of offsets) {
    const instant = wall - offset;
    if (offsetMs(instant, timezone) === offset) instants.push(instant);
  }
  return instants.sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number >= 0, got ${value}`);
}

function checkDate(name: string, value: Date): void {
  if (Number.isNaN(value.getTime())) throw new RangeError(`${name} is not a valid date`);
}

/** "2026-12-05 02:00 CET": the local wall-clock time an operator expects to read. */
export function formatLocal(t: Date, timeZone: string): string {
  const parts = (locale: string) =>
    Object.fromEntries(
      new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' })
        .formatToParts(t)
        .map((p) => [p.type, p.value]),
    );
  const p = parts('en-GB');
  // Each locale knows the abbreviations of its own region (CET in en-GB, EST in en-US).
  const zone = p.timeZoneName?.startsWith('GMT') && p.timeZoneName !== 'GMT' ? (parts('en-US').timeZoneName ?? p.timeZoneName) : p.timeZoneName;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${zone}`;
}
