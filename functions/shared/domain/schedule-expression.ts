// EventBridge Scheduler schedule expressions (cron, rate, at) and IANA time zones, checked
// before a policy reaches the Scheduler API, so a mistake is reported with the policy, not later.

export type ScheduleExpressionKind = 'cron' | 'rate' | 'at';

/** The kind of expression by its prefix, whether or not the rest is valid. */
export function scheduleExpressionKind(expr: string): ScheduleExpressionKind | undefined {
  if (expr.startsWith('cron(')) return 'cron';
  if (expr.startsWith('rate(')) return 'rate';
  if (expr.startsWith('at(')) return 'at';
  return undefined;
}

/**
 * Checks an expression against EventBridge Scheduler's rules. Returns the reason it is invalid,
 * or undefined when it is valid.
 */
export function validateScheduleExpression(expr: string): string | undefined {
  if (expr.trim() !== expr) return 'must not start or end with spaces';
  switch (scheduleExpressionKind(expr)) {
    case 'cron':
      return validateCron(expr);
    case 'rate':
      return validateRate(expr);
    case 'at':
      return validateAt(expr);
    default:
      return `"${expr}" is not a schedule expression: use cron(minutes hours day-of-month month day-of-week year), rate(value unit) or at(yyyy-mm-ddThh:mm:ss)`;
  }
}

// ---------------------------------------------------------------------------------------------
// rate(value unit)

const RATE = /^rate\((\S+) (\S+)\)$/;
const RATE_UNITS = new Set(['minute', 'minutes', 'hour', 'hours', 'day', 'days']);

function validateRate(expr: string): string | undefined {
  const match = RATE.exec(expr);
  if (!match) return 'rate needs a value and a unit separated by one space, e.g. rate(5 minutes) or rate(1 day)';
  const [, value = '', unit = ''] = match;
  if (!/^[1-9][0-9]*$/.test(value)) return `rate value must be a positive whole number, got "${value}"`;
  if (!RATE_UNITS.has(unit)) return `rate unit must be minute(s), hour(s) or day(s), got "${unit}"`;
  const singular = !unit.endsWith('s');
  if (value === '1' && !singular) return `rate(1 ${unit}) must use the singular: rate(1 ${unit.slice(0, -1)})`;
  if (value !== '1' && singular) return `rate(${value} ${unit}) must use the plural: rate(${value} ${unit}s)`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// at(yyyy-mm-ddThh:mm:ss)

const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;

function validateAt(expr: string): string | undefined {
  const match = AT.exec(expr);
  if (!match) return 'at needs a local date and time without zone, e.g. at(2026-12-04T01:00:00)';
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return `at: month ${month} is out of range 1-12`;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return `at: day ${day} does not exist in ${year}-${String(month).padStart(2, '0')}`;
  if (hour > 23) return `at: hour ${hour} is out of range 0-23`;
  if (minute > 59) return `at: minute ${minute} is out of range 0-59`;
  if (second > 59) return `at: second ${second} is out of range 0-59`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// cron(minutes hours day-of-month month day-of-week year)

const CRON_FIELD_NAMES = 'minutes hours day-of-month month day-of-week year';
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  name: string;
  min: number;
  max: number;
  /** Names standing for min, min+1, ... (months, weekdays). */
  names?: readonly string[];
  allowsStep: boolean;
}

const MINUTES: CronField = { name: 'minutes', min: 0, max: 59, allowsStep: true };
const HOURS: CronField = { name: 'hours', min: 0, max: 23, allowsStep: true };
const DAY_OF_MONTH: CronField = { name: 'day-of-month', min: 1, max: 31, allowsStep: true };
const MONTH: CronField = { name: 'month', min: 1, max: 12, names: MONTHS, allowsStep: true };
const DAY_OF_WEEK: CronField = { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS, allowsStep: false };
const YEAR: CronField = { name: 'year', min: 1970, max: 2199, allowsStep: true };

function validateCron(expr: string): string | undefined {
  if (!expr.endsWith(')')) return 'cron expression must end with ")"';
  const body = expr.slice('cron('.length, -1).trim();
  const fields = body === '' ? [] : body.split(/\s+/);
  if (fields.length !== 6) {
    return `cron needs 6 fields (${CRON_FIELD_NAMES}), got ${fields.length}`;
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];

  const domAny = dayOfMonth === '?';
  const dowAny = dayOfWeek === '?';
  if (domAny && dowAny) return 'only one of day-of-month and day-of-week can be ?';
  if (!domAny && !dowAny) {
    return `one of day-of-month and day-of-week must be ? (got "${dayOfMonth}" and "${dayOfWeek}"), e.g. cron(0 2 * * ? *) or cron(0 2 ? * MON-FRI *)`;
  }

  return (
    checkListField(minutes, MINUTES) ??
    checkListField(hours, HOURS) ??
    (domAny ? undefined : checkDayOfMonth(dayOfMonth)) ??
    checkListField(month, MONTH) ??
    (dowAny ? undefined : checkDayOfWeek(dayOfWeek)) ??
    checkListField(year, YEAR)
  );
}

function checkDayOfMonth(value: string): string | undefined {
  // L (last day), LW (last weekday) and nW (weekday nearest day n) stand alone in the field.
  if (value === 'L' || value === 'LW') return undefined;
  const weekday = /^(\d+)W$/.exec(value);
  if (weekday) return checkNumber(weekday[1] ?? '', DAY_OF_MONTH);
  if (/[LW]/.test(value)) {
    return `day-of-month: "${value}" is not valid; L, LW and nW (e.g. 15W) must stand alone`;
  }
  return checkListField(value, DAY_OF_MONTH);
}

function checkDayOfWeek(value: string): string | undefined {
  // L (last day of the week), nL (last weekday n of the month) and n#k (k-th weekday n of the
  // month) stand alone in the field: "3#1,6#3" is rejected by the service.
  if (value === 'L') return undefined;
  if (value.includes('#')) {
    const nth = /^([^,#/-]+)#([^,#/-]+)$/.exec(value);
    if (!nth) return `day-of-week: "${value}" is not valid; n#k (e.g. 3#2) must stand alone`;
    const [, day = '', instance = ''] = nth;
    const dayProblem = checkValue(day, DAY_OF_WEEK);
    if (dayProblem) return dayProblem;
    if (!/^[1-5]$/.test(instance)) return `day-of-week: in "${value}" the instance after # must be 1-5`;
    return undefined;
  }
  // No weekday name contains an L, so an L anywhere else is the "last" wildcard.
  if (value.includes('L')) {
    const last = /^([^,/-]+)L$/.exec(value);
    if (!last) return `day-of-week: "${value}" is not valid; L and nL (e.g. 6L) must stand alone`;
    return checkValue(last[1] ?? '', DAY_OF_WEEK);
  }
  return checkListField(value, DAY_OF_WEEK);
}

/** A field made of comma-separated items: *, n, n-m, each optionally /step where allowed. */
function checkListField(value: string, field: CronField): string | undefined {
  if (value === '?') return `${field.name}: ? is only allowed in day-of-month or day-of-week`;
  for (const item of value.split(',')) {
    if (item === '') return `${field.name}: "${value}" has an empty list item`;
    const problem = checkItem(item, field);
    if (problem) return problem;
  }
  return undefined;
}

function checkItem(item: string, field: CronField): string | undefined {
  const parts = item.split('/');
  if (parts.length > 2) return `${field.name}: "${item}" has more than one /`;
  const [base = '', step] = parts;
  if (step !== undefined) {
    if (!field.allowsStep) return `${field.name}: / is not allowed in ${field.name}`;
    if (!/^[1-9][0-9]*$/.test(step)) return `${field.name}: step in "${item}" must be a positive whole number`;
    const span = field.max - field.min + 1;
    if (Number(step) > span) return `${field.name}: step ${step} in "${item}" is larger than the field's range (${span})`;
  }
  if (base === '*') return undefined;
  const range = base.split('-');
  if (range.length > 2 || range.includes('')) return `${field.name}: "${item}" is not a valid range`;
  const [from = '', to] = range;
  const fromProblem = checkValue(from, field);
  if (fromProblem) return fromProblem;
  if (to !== undefined) {
    const toProblem = checkValue(to, field);
    if (toProblem) return toProblem;
    // Wrapping ranges (22-2) are not documented for the service; ask for an explicit list.
    if (valueOf(from, field) > valueOf(to, field)) {
      return `${field.name}: range "${base}" runs backwards; write it as a list, e.g. "${from}-${field.names?.[field.max - field.min] ?? field.max},${field.names?.[0] ?? field.min}-${to}"`;
    }
  }
  return undefined;
}

function checkValue(value: string, field: CronField): string | undefined {
  if (field.names && /^[A-Za-z]+$/.test(value)) {
    if (field.names.includes(value.toUpperCase())) return undefined;
    return `${field.name}: "${value}" is not one of ${field.names[0]}-${field.names[field.names.length - 1]}`;
  }
  return checkNumber(value, field);
}

function checkNumber(value: string, field: CronField): string | undefined {
  const alternatives = field.names ? ` (or ${field.names[0]}-${field.names[field.names.length - 1]})` : '';
  if (!/^[0-9]+$/.test(value)) {
    return `${field.name}: "${value}" is not a number in ${field.min}-${field.max}${alternatives}`;
  }
  const n = Number(value);
  if (n < field.min || n > field.max) {
    return `${field.name}: ${value} is out of range ${field.min}-${field.max}${alternatives}`;
  }
  return undefined;
}

function valueOf(value: string, field: CronField): number {
  const named = field.names?.indexOf(value.toUpperCase()) ?? -1;
  return named >= 0 ? field.min + named : Number(value);
}

// ---------------------------------------------------------------------------------------------
// Time zones

let knownZones: ReadonlySet<string> | undefined;

/**
 * True for IANA time zone names that both the runtime and EventBridge Scheduler understand:
 * canonical names (Europe/Berlin), UTC and Etc/UTC, and Area/Location links the runtime
 * resolves (Asia/Calcutta, US/Pacific). Bare abbreviations (CET, EST) and names in the wrong
 * case (europe/berlin) are rejected: the runtime accepts them, but they are not what an
 * operator means to store.
 */
export function isValidTimeZone(name: string): boolean {
  if (name === 'UTC' || name === 'Etc/UTC') return true;
  knownZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (knownZones.has(name)) return true;
  if (!/^[A-Z][A-Za-z0-9_+-]*(?:\/[A-Z][A-Za-z0-9_+-]*)+$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
