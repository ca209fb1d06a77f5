import { describe, expect, it } from 'vitest';
import {
  isValidTimeZone,
  scheduleExpressionKind,
  validateScheduleExpression,
} from '../../functions/shared/domain/schedule-expression.js';

describe('validateScheduleExpression', () => {
  const valid = [
    'cron(0 2 * * ? *)',
    'cron(0 10 * * ? *)',
    'cron(15 12 * * ? *)',
    'cron(0 18 ? * MON-FRI *)',
    'cron(0 8 1 * ? *)',
    'cron(0/15 * * * ? *)',
    'cron(0/10 * ? * MON-FRI *)',
    'cron(0/5 8-17 ? * MON-FRI *)',
    'cron(0 9 ? * 2#1 *)',
    'cron(0 9 ? * MON#1 *)',
    'cron(0 23 L * ? *)',
    'cron(0 23 LW * ? *)',
    'cron(0 6 15W * ? *)',
    'cron(0 22 ? * 6L *)',
    'cron(0 22 ? * FRIL *)',
    'cron(0 22 ? * L *)',
    'cron(0 0 1 JAN,APR,JUL,OCT ? *)',
    'cron(0 0 1 jan-mar ? *)',
    'cron(30 1 ? * SUN,WED 2026-2030)',
    'cron(0 0 1/2 * ? 2026/2)',
    'cron(*/30 * * * ? *)',
    'cron(0 0 * * ? 1970)',
    'cron(0 0 * * ? 2199)',
    'cron(0 0 ? * 1-7 *)',
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 hour)',
    'rate(12 hours)',
    'rate(1 day)',
    'rate(7 days)',
    'at(2026-12-04T01:00:00)',
    'at(2028-02-29T23:59:59)',
  ];

  it.each(valid)('accepts %s', (expr) => {
    expect(validateScheduleExpression(expr)).toBeUndefined();
  });

  const invalid: [string, string][] = [
    ['', 'is not a schedule expression'],
    ['0 2 * * ? *', 'is not a schedule expression'],
    ['every day', 'is not a schedule expression'],
    [' cron(0 2 * * ? *)', 'must not start or end with spaces'],
    ['cron(0 2 * * *)', 'cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 5'],
    ['cron(0 0 2 * * ? *)', 'cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 7'],
    ['cron()', 'got 0'],
    ['cron(0 2 * * ? *', 'must end with ")"'],
    ['cron(0 2 * * * *)', 'one of day-of-month and day-of-week must be ?'],
    ['cron(0 2 1 * MON *)', 'one of day-of-month and day-of-week must be ?'],
    ['cron(0 2 ? * ? *)', 'only one of day-of-month and day-of-week can be ?'],
    ['cron(60 2 * * ? *)', 'minutes: 60 is out of range 0-59'],
    ['cron(0 24 * * ? *)', 'hours: 24 is out of range 0-23'],
    ['cron(0 2 0 * ? *)', 'day-of-month: 0 is out of range 1-31'],
    ['cron(0 2 32 * ? *)', 'day-of-month: 32 is out of range 1-31'],
    ['cron(0 2 * 13 ? *)', 'month: 13 is out of range 1-12'],
    ['cron(0 2 * FOO ? *)', 'month: "FOO" is not one of JAN-DEC'],
    ['cron(0 2 ? * 0 *)', 'day-of-week: 0 is out of range 1-7 (or SUN-SAT)'],
    ['cron(0 2 ? * 8 *)', 'day-of-week: 8 is out of range 1-7'],
    ['cron(0 2 ? * MONDAY *)', 'day-of-week: "MONDAY" is not one of SUN-SAT'],
    ['cron(0 2 * * ? 1969)', 'year: 1969 is out of range 1970-2199'],
    ['cron(0 2 * * ? 2200)', 'year: 2200 is out of range 1970-2199'],
    ['cron(? 2 * * ? *)', 'minutes: ? is only allowed in day-of-month or day-of-week'],
    ['cron(0 L * * ? *)', 'hours: "L" is not a number'],
    ['cron(0 2 * * ? L)', 'year: "L" is not a number'],
    ['cron(0 2 ? * MON/2 *)', 'day-of-week: / is not allowed'],
    ['cron(0/0 2 * * ? *)', 'minutes: step in "0/0" must be a positive whole number'],
    ['cron(0/61 2 * * ? *)', 'minutes: step 61 in "0/61" is larger than the field'],
    ['cron(0/5/2 2 * * ? *)', 'has more than one /'],
    ['cron(0 2-4-6 * * ? *)', 'hours: "2-4-6" is not a valid range'],
    ['cron(0 22-2 * * ? *)', 'hours: range "22-2" runs backwards'],
    ['cron(0 2 ? * FRI-MON *)', 'day-of-week: range "FRI-MON" runs backwards'],
    ['cron(0 2,,4 * * ? *)', 'hours: "2,,4" has an empty list item'],
    ['cron(0 2 1,L * ? *)', 'day-of-month: "1,L" is not valid; L, LW and nW (e.g. 15W) must stand alone'],
    ['cron(0 2 32W * ? *)', 'day-of-month: 32 is out of range 1-31'],
    ['cron(0 2 ? * 3#1,6#3 *)', 'day-of-week: "3#1,6#3" is not valid; n#k (e.g. 3#2) must stand alone'],
    ['cron(0 2 ? * 3#6 *)', 'the instance after # must be 1-5'],
    ['cron(0 2 ? * 8#1 *)', 'day-of-week: 8 is out of range 1-7'],
    ['cron(0 2 ? * MON,FRIL *)', 'L and nL (e.g. 6L) must stand alone'],
    ['cron(a 2 * * ? *)', 'minutes: "a" is not a number in 0-59'],
    ['cron(-1 2 * * ? *)', 'minutes: "-1" is not a valid range'],
    ['cron(0 2- * * ? *)', 'hours: "2-" is not a valid range'],
    ['rate(5)', 'rate needs a value and a unit'],
    ['rate(5  minutes)', 'rate needs a value and a unit'],
    ['rate(0 minutes)', 'rate value must be a positive whole number, got "0"'],
    ['rate(-5 minutes)', 'rate value must be a positive whole number'],
    ['rate(1.5 hours)', 'rate value must be a positive whole number'],
    ['rate(05 minutes)', 'rate value must be a positive whole number'],
    ['rate(5 seconds)', 'rate unit must be minute(s), hour(s) or day(s), got "seconds"'],
    ['rate(2 weeks)', 'rate unit must be minute(s), hour(s) or day(s)'],
    ['rate(5 Minutes)', 'rate unit must be minute(s), hour(s) or day(s)'],
    ['rate(1 minutes)', 'rate(1 minutes) must use the singular: rate(1 minute)'],
    ['rate(1 days)', 'must use the singular: rate(1 day)'],
    ['rate(5 minute)', 'rate(5 minute) must use the plural: rate(5 minutes)'],
    ['rate(2 hour)', 'must use the plural: rate(2 hours)'],
    ['at(2026-12-04 01:00:00)', 'at needs a local date and time without zone'],
    ['at(2026-12-04T01:00:00Z)', 'at needs a local date and time without zone'],
    ['at(2026-12-04T01:00)', 'at needs a local date and time without zone'],
    ['at(2026-13-04T01:00:00)', 'at: month 13 is out of range 1-12'],
    ['at(2027-02-29T01:00:00)', 'at: day 29 does not exist in 2027-02'],
    ['at(2026-12-04T24:00:00)', 'at: hour 24 is out of range 0-23'],
    ['at(2026-12-04T01:60:00)', 'at: minute 60 is out of range 0-59'],
  ];

  it.each(invalid)('rejects %j with a reason naming the problem', (expr, reason) => {
    expect(validateScheduleExpression(expr)).toContain(reason);
  });

  it('reads fields separated by runs of spaces the same as by single spaces', () => {
    expect(validateScheduleExpression('cron(0  2 * * ?   *)')).toBeUndefined();
  });
});

describe('scheduleExpressionKind', () => {
  it('tells cron, rate and at apart by their prefix', () => {
    expect(scheduleExpressionKind('cron(0 2 * * ? *)')).toBe('cron');
    expect(scheduleExpressionKind('rate(1 day)')).toBe('rate');
    expect(scheduleExpressionKind('at(2026-12-04T01:00:00)')).toBe('at');
    expect(scheduleExpressionKind('daily')).toBeUndefined();
  });
});

describe('isValidTimeZone', () => {
  it.each(['UTC', 'Etc/UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Etc/GMT+5', 'America/Argentina/Buenos_Aires'])(
    'accepts the IANA name %s',
    (zone) => {
      expect(isValidTimeZone(zone)).toBe(true);
    },
  );

  it.each(['Asia/Calcutta', 'US/Pacific', 'Europe/Kiev'])('accepts the IANA link %s', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each(['Europe/Berln', 'europe/berlin', 'utc', 'CET', 'EST', '+01:00', 'UTC+1', 'Mars/Olympus_Mons', ''])(
    'rejects %j',
    (zone) => {
      expect(isValidTimeZone(zone)).toBe(false);
    },
  );
});
