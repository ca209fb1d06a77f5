// Fire times of EventBridge Scheduler expressions. Every expected instant is worked out by hand
// from the calendar and the zone rules, noted beside it:
//   Europe/Berlin    CET = UTC+1, CEST = UTC+2; 2026-03-29 01:00Z clocks 02:00 → 03:00,
//                    2026-10-25 01:00Z clocks 03:00 → 02:00.
//   America/New_York EST = UTC-5, EDT = UTC-4; 2026-03-08 07:00Z clocks 02:00 → 03:00,
//                    2026-11-01 06:00Z clocks 02:00 → 01:00.
//   2026 starts on a Thursday; 1 Feb and 1 Mar 2026 are Sundays, 1 Aug 2026 a Saturday.
import { describe, expect, it } from 'vitest';
import { fireTimesBetween, nextFireTimes } from '../../functions/shared/domain/schedule.js';
import { validateScheduleExpression } from '../../functions/shared/domain/schedule-expression.js';

const at = (iso: string): Date => new Date(iso);
const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString());
const next = (expression: string, timezone: string, after: string, count: number): string[] =>
  iso(nextFireTimes(expression, timezone, at(after), count));

describe('cron schedules across daylight-saving changes', () => {
  it('a daily 02:30 in Berlin is skipped on the spring-forward day, when 02:30 does not exist', () => {
    expect(next('cron(30 2 * * ? *)', 'Europe/Berlin', '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00.000Z', // 28 Mar 02:30 CET
      '2026-03-30T00:30:00.000Z', // 30 Mar 02:30 CEST; 29 Mar has no 02:30
      '2026-03-31T00:30:00.000Z',
    ]);
    // The whole local day of 29 March (00:00 CET to 00:00 CEST next day) holds no run.
    expect(fireTimesBetween('cron(30 2 * * ? *)', 'Europe/Berlin', at('2026-03-28T23:00:00Z'), at('2026-03-29T22:00:00Z'))).toEqual([]);
  });

  it('a daily 02:30 in New York is skipped on the spring-forward day', () => {
    expect(next('cron(30 2 * * ? *)', 'America/New_York', '2026-03-07T12:00:00Z', 2)).toEqual([
      '2026-03-09T06:30:00.000Z', // 9 Mar 02:30 EDT; 8 Mar has no 02:30
      '2026-03-10T06:30:00.000Z',
    ]);
  });

  it('a daily 01:30 in New York fires once on the fall-back day, at the first (EDT) 01:30', () => {
    expect(next('cron(30 1 * * ? *)', 'America/New_York', '2026-10-31T12:00:00Z', 2)).toEqual([
      '2026-11-01T05:30:00.000Z', // 1 Nov 01:30 EDT
      '2026-11-02T06:30:00.000Z', // 2 Nov 01:30 EST
    ]);
    // Local day of 1 November: 00:00 EDT (04:00Z) to 00:00 EST on 2 November (05:00Z).
    expect(iso(fireTimesBetween('cron(30 1 * * ? *)', 'America/New_York', at('2026-11-01T04:00:00Z'), at('2026-11-02T05:00:00Z')))).toEqual([
      '2026-11-01T05:30:00.000Z',
    ]);
  });

  it('a daily 01:30 in New York asked for during the repeated hour does not fire at the second 01:30', () => {
    // 06:00Z is 01:00 EST, after the first 01:30 (05:30Z) and before the second (06:30Z).
    expect(next('cron(30 1 * * ? *)', 'America/New_York', '2026-11-01T06:00:00Z', 1)).toEqual(['2026-11-02T06:30:00.000Z']);
  });

  it('a daily 02:30 in Berlin fires once on the fall-back day, with the summer-time offset', () => {
    expect(next('cron(30 2 * * ? *)', 'Europe/Berlin', '2026-10-24T12:00:00Z', 2)).toEqual([
      '2026-10-25T00:30:00.000Z', // 25 Oct 02:30 CEST, the first of the two
      '2026-10-26T01:30:00.000Z', // 26 Oct 02:30 CET
    ]);
  });

  it('a daily 02:00 in Berlin is 01:00 UTC in winter and 00:00 UTC in summer', () => {
    expect(next('cron(0 2 * * ? *)', 'Europe/Berlin', '2026-01-14T12:00:00Z', 1)).toEqual(['2026-01-15T01:00:00.000Z']);
    expect(next('cron(0 2 * * ? *)', 'Europe/Berlin', '2026-07-14T12:00:00Z', 1)).toEqual(['2026-07-15T00:00:00.000Z']);
  });

  it('an hourly cron in Berlin loses the 02:00 run when clocks spring forward', () => {
    expect(next('cron(0 * * * ? *)', 'Europe/Berlin', '2026-03-28T22:30:00Z', 4)).toEqual([
      '2026-03-28T23:00:00.000Z', // 00:00 CET
      '2026-03-29T00:00:00.000Z', // 01:00 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST
      '2026-03-29T02:00:00.000Z', // 04:00 CEST
    ]);
  });

  it('an hourly cron in Berlin runs the repeated 02:00 once when clocks fall back', () => {
    expect(next('cron(0 * * * ? *)', 'Europe/Berlin', '2026-10-24T22:30:00Z', 4)).toEqual([
      '2026-10-24T23:00:00.000Z', // 01:00 CEST
      '2026-10-25T00:00:00.000Z', // 02:00 CEST; 01:00Z is 02:00 CET again and is not run
      '2026-10-25T02:00:00.000Z', // 03:00 CET
      '2026-10-25T03:00:00.000Z', // 04:00 CET
    ]);
  });

  it('an hourly cron in New York loses 02:00 in spring and runs 01:00 once in autumn', () => {
    expect(next('cron(0 * * * ? *)', 'America/New_York', '2026-03-08T05:30:00Z', 3)).toEqual([
      '2026-03-08T06:00:00.000Z', // 01:00 EST
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-08T08:00:00.000Z', // 04:00 EDT
    ]);
    expect(next('cron(0 * * * ? *)', 'America/New_York', '2026-11-01T04:30:00Z', 3)).toEqual([
      '2026-11-01T05:00:00.000Z', // 01:00 EDT; 06:00Z is 01:00 EST and is not run
      '2026-11-01T07:00:00.000Z', // 02:00 EST
      '2026-11-01T08:00:00.000Z', // 03:00 EST
    ]);
  });

  it('a half-hourly cron in New York leaves a 90-minute gap over the repeated hour', () => {
    expect(next('cron(0/30 * * * ? *)', 'America/New_York', '2026-11-01T04:45:00Z', 3)).toEqual([
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T07:00:00.000Z', // 02:00 EST
    ]);
  });

  it('a cron in a half-hour zone uses that offset', () => {
    expect(next('cron(0 9 * * ? *)', 'Asia/Kolkata', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T03:30:00.000Z']);
  });
});

describe('rate schedules', () => {
  it('rate(1 day) keeps 24-hour spacing across spring forward, so its Berlin time moves to 01:00', () => {
    const anchor = at('2026-03-27T23:00:00Z'); // 28 Mar 00:00 CET
    expect(iso(nextFireTimes('rate(1 day)', 'Europe/Berlin', anchor, 3, { anchor }))).toEqual([
      '2026-03-28T23:00:00.000Z', // 29 Mar 00:00 CET
      '2026-03-29T23:00:00.000Z', // 30 Mar 01:00 CEST
      '2026-03-30T23:00:00.000Z', // 31 Mar 01:00 CEST
    ]);
  });

  it('rate(1 day) keeps 24-hour spacing across fall back, so its New York time moves to 23:00', () => {
    const anchor = at('2026-10-31T04:00:00Z'); // 31 Oct 00:00 EDT
    expect(iso(nextFireTimes('rate(1 day)', 'America/New_York', at('2026-10-31T03:00:00Z'), 3, { anchor }))).toEqual([
      '2026-10-31T04:00:00.000Z', // the anchor itself
      '2026-11-01T04:00:00.000Z', // 1 Nov 00:00 EDT
      '2026-11-02T04:00:00.000Z', // 1 Nov 23:00 EST
    ]);
  });

  it('a rate schedule without an anchor counts from the Unix epoch', () => {
    expect(next('rate(5 minutes)', 'UTC', '2026-01-01T00:02:10Z', 2)).toEqual(['2026-01-01T00:05:00.000Z', '2026-01-01T00:10:00.000Z']);
    expect(next('rate(2 hours)', 'Europe/Berlin', '2026-01-01T01:00:00Z', 1)).toEqual(['2026-01-01T02:00:00.000Z']);
  });

  it('a rate schedule does not fire before its anchor', () => {
    const anchor = at('2026-06-01T00:07:00Z');
    expect(iso(nextFireTimes('rate(1 hour)', 'UTC', at('2026-01-01T00:00:00Z'), 2, { anchor }))).toEqual([
      '2026-06-01T00:07:00.000Z',
      '2026-06-01T01:07:00.000Z',
    ]);
  });
});

describe('one-time at() schedules', () => {
  it('an at() time is read in the schedule zone and fires once', () => {
    expect(next('at(2026-07-01T09:00:00)', 'Europe/Berlin', '2026-01-01T00:00:00Z', 5)).toEqual(['2026-07-01T07:00:00.000Z']);
    expect(next('at(2026-07-01T09:00:00)', 'Europe/Berlin', '2026-07-01T07:00:00Z', 5)).toEqual([]);
  });

  it('an at() time repeated by fall back fires at its first occurrence', () => {
    expect(next('at(2026-10-25T02:30:00)', 'Europe/Berlin', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-10-25T00:30:00.000Z']);
  });

  it('an at() time inside the spring-forward gap fires the length of the gap later', () => {
    // 02:30 does not exist on 29 March in Berlin; it is read as 03:30 CEST.
    expect(next('at(2026-03-29T02:30:00)', 'Europe/Berlin', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-03-29T01:30:00.000Z']);
  });
});

describe('cron calendar features', () => {
  it('L in day-of-month is the last day of each month', () => {
    expect(next('cron(0 12 L * ? *)', 'UTC', '2026-01-15T00:00:00Z', 4)).toEqual([
      '2026-01-31T12:00:00.000Z',
      '2026-02-28T12:00:00.000Z',
      '2026-03-31T12:00:00.000Z',
      '2026-04-30T12:00:00.000Z',
    ]);
  });

  it('L in day-of-month is 29 February in a leap year', () => {
    expect(next('cron(0 12 L 2 ? *)', 'UTC', '2027-03-01T00:00:00Z', 1)).toEqual(['2028-02-29T12:00:00.000Z']);
  });

  it('nW is the weekday nearest day n, without leaving the month', () => {
    expect(next('cron(0 9 15W * ? *)', 'UTC', '2026-08-01T00:00:00Z', 4)).toEqual([
      '2026-08-14T09:00:00.000Z', // 15 Aug is a Saturday: Friday the 14th
      '2026-09-15T09:00:00.000Z', // a Tuesday
      '2026-10-15T09:00:00.000Z', // a Thursday
      '2026-11-16T09:00:00.000Z', // 15 Nov is a Sunday: Monday the 16th
    ]);
    // 1 Aug 2026 is a Saturday: the nearest weekday in August is Monday the 3rd, not 31 July.
    expect(next('cron(0 9 1W * ? *)', 'UTC', '2026-07-15T00:00:00Z', 1)).toEqual(['2026-08-03T09:00:00.000Z']);
  });

  it('LW is the last weekday of the month', () => {
    expect(next('cron(0 18 LW * ? *)', 'UTC', '2026-05-01T00:00:00Z', 3)).toEqual([
      '2026-05-29T18:00:00.000Z', // 31 May is a Sunday
      '2026-06-30T18:00:00.000Z', // a Tuesday
      '2026-07-31T18:00:00.000Z', // a Friday
    ]);
  });

  it('6#3 is the third Friday of the month, counting 1 as Sunday', () => {
    expect(next('cron(0 10 ? * 6#3 *)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-16T10:00:00.000Z',
      '2026-02-20T10:00:00.000Z',
      '2026-03-20T10:00:00.000Z',
    ]);
  });

  it('a fifth weekday fires only in months that have one', () => {
    expect(next('cron(0 0 ? * MON#5 *)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-03-30T00:00:00.000Z',
      '2026-06-29T00:00:00.000Z',
      '2026-08-31T00:00:00.000Z',
    ]);
  });

  it('6L and FRIL are the last Friday of the month', () => {
    const lastFridays = ['2026-01-30T22:00:00.000Z', '2026-02-27T22:00:00.000Z', '2026-03-27T22:00:00.000Z'];
    expect(next('cron(0 22 ? * 6L *)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual(lastFridays);
    expect(next('cron(0 22 ? * FRIL *)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual(lastFridays);
  });

  it('5L is the last Thursday of the month, since 5 is Thursday', () => {
    expect(next('cron(0 22 ? * 5L *)', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-29T22:00:00.000Z']);
  });

  it('L alone in day-of-week is Saturday, the last day of the week', () => {
    expect(next('cron(0 0 ? * L *)', 'UTC', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-03T00:00:00.000Z', '2026-01-10T00:00:00.000Z']);
  });

  it('day-of-week numbers run from 1 for Sunday to 7 for Saturday', () => {
    expect(next('cron(0 0 ? * 1 *)', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-04T00:00:00.000Z']);
    expect(next('cron(0 0 ? * 7 *)', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-03T00:00:00.000Z']);
    expect(next('cron(0 8 ? * 2-6 *)', 'UTC', '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-30T08:00:00.000Z', // Monday
      '2026-03-31T08:00:00.000Z',
      '2026-04-01T08:00:00.000Z',
    ]);
  });

  it('month and weekday names select months and days, in any case', () => {
    // 27 Mar 2026 is a Friday; April to December are excluded; 1 Jan 2027 is a Friday.
    expect(next('cron(0 8 ? JAN-MAR MON-FRI *)', 'UTC', '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-30T08:00:00.000Z',
      '2026-03-31T08:00:00.000Z',
      '2027-01-01T08:00:00.000Z',
    ]);
    expect(next('cron(0 0 ? * sat,sun *)', 'UTC', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-03T00:00:00.000Z', '2026-01-04T00:00:00.000Z']);
  });

  it('steps count from their start to the end of the field', () => {
    expect(next('cron(5/20 * * * ? *)', 'UTC', '2026-01-01T00:00:00Z', 4)).toEqual([
      '2026-01-01T00:05:00.000Z',
      '2026-01-01T00:25:00.000Z',
      '2026-01-01T00:45:00.000Z',
      '2026-01-01T01:05:00.000Z',
    ]);
    expect(next('cron(0 */6 * * ? *)', 'UTC', '2026-01-01T00:00:00Z', 4)).toEqual([
      '2026-01-01T06:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
      '2026-01-01T18:00:00.000Z',
      '2026-01-02T00:00:00.000Z',
    ]);
    expect(next('cron(0 0 1/10 * ? *)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-11T00:00:00.000Z',
      '2026-01-21T00:00:00.000Z',
      '2026-01-31T00:00:00.000Z',
    ]);
  });

  it('the year field restricts runs to the listed years and ends the schedule after them', () => {
    expect(next('cron(0 0 1 1 ? 2027,2029)', 'UTC', '2026-06-01T00:00:00Z', 3)).toEqual(['2027-01-01T00:00:00.000Z', '2029-01-01T00:00:00.000Z']);
    expect(next('cron(0 0 1 JAN ? 2026/2)', 'UTC', '2026-01-01T00:00:00Z', 2)).toEqual(['2028-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z']);
    expect(next('cron(0 0 * * ? 2020)', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual([]);
  });

  it('29 February fires only in leap years, which 2100 is not', () => {
    expect(next('cron(0 0 29 2 ? *)', 'UTC', '2026-01-01T00:00:00Z', 2)).toEqual(['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z']);
    expect(next('cron(0 0 29 2 ? 2096-2104)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual(['2096-02-29T00:00:00.000Z', '2104-02-29T00:00:00.000Z']);
  });

  it('a day that no month has never fires', () => {
    expect(next('cron(0 0 30 FEB ? *)', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual([]);
  });
});

describe('fireTimesBetween', () => {
  it('includes a time equal to the end of the window and excludes one equal to its start', () => {
    expect(iso(fireTimesBetween('cron(0 * * * ? *)', 'UTC', at('2026-01-01T00:00:00Z'), at('2026-01-01T03:00:00Z')))).toEqual([
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
      '2026-01-01T03:00:00.000Z',
    ]);
  });

  it('returns at most limit times, the earliest', () => {
    expect(iso(fireTimesBetween('cron(0 * * * ? *)', 'UTC', at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'), 2))).toEqual([
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
    ]);
  });

  it('passes the anchor on to rate schedules', () => {
    const anchor = at('2026-01-01T00:20:00Z');
    expect(iso(fireTimesBetween('rate(30 minutes)', 'UTC', at('2026-01-01T00:00:00Z'), at('2026-01-01T01:00:00Z'), 10, { anchor }))).toEqual([
      '2026-01-01T00:20:00.000Z',
      '2026-01-01T00:50:00.000Z',
    ]);
  });

  it('rejects a window that ends before it starts', () => {
    expect(() => fireTimesBetween('rate(1 hour)', 'UTC', at('2026-01-02T00:00:00Z'), at('2026-01-01T00:00:00Z'))).toThrow(RangeError);
  });
});

describe('invalid input', () => {
  it('an invalid expression throws the validator reason', () => {
    const expression = 'cron(0 2 * * * *)';
    const reason = validateScheduleExpression(expression);
    expect(reason).toBeDefined();
    expect(() => nextFireTimes(expression, 'UTC', at('2026-01-01T00:00:00Z'), 1)).toThrow(new Error(reason));
    expect(() => fireTimesBetween('rate(1 days)', 'UTC', at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'))).toThrow(
      'rate(1 days) must use the singular: rate(1 day)',
    );
  });

  it('an unknown time zone throws, naming the zone', () => {
    expect(() => nextFireTimes('cron(0 2 * * ? *)', 'Europe/Berln', at('2026-01-01T00:00:00Z'), 1)).toThrow(
      '"Europe/Berln" is not an IANA time zone',
    );
  });

  it('a negative or fractional count throws', () => {
    expect(() => nextFireTimes('rate(1 hour)', 'UTC', at('2026-01-01T00:00:00Z'), -1)).toThrow(RangeError);
    expect(() => nextFireTimes('rate(1 hour)', 'UTC', at('2026-01-01T00:00:00Z'), 1.5)).toThrow(RangeError);
  });
});
