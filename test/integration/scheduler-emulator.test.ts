// The EventBridge Scheduler emulator against the unmodified @aws-sdk/client-scheduler: the wire
// protocol and validation, and when schedules fire on the shared virtual clock, asserted on the
// emulator's ground truth.
import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  SchedulerClient,
  TagResourceCommand,
  UpdateScheduleCommand,
  ValidationException,
  paginateListSchedules,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.js';
import { startSchedulerEmulator, type Invocation, type SchedulerEmulator } from '../../local/scheduler/index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:fsx-backup-run';
const ROLE = 'arn:aws:iam::123456789012:role/fsx-backup-scheduler';
const DLQ = 'arn:aws:sqs:us-east-1:123456789012:fsx-backup-schedule-dlq';
const INPUT = '{"policyId":"daily","scheduledTime":"<aws.scheduler.scheduled-time>","trigger":"schedule"}';

let emulator: SchedulerEmulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(at: string) {
  const clock = new VirtualClock(at);
  emulator = await startSchedulerEmulator({ clock });
  const scheduler = new SchedulerClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return { clock, emulator, scheduler };
}

function schedule(name: string, overrides: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: name,
    ScheduleExpression: 'cron(0 2 * * ? *)',
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: target(),
    ...overrides,
  };
}

/** Advances the clock in steps, taking what is due after each, as the sandbox does. */
function advanceTaking(clock: VirtualClock, em: SchedulerEmulator, total: number, step = HOUR): Invocation[] {
  const taken: Invocation[] = [];
  for (let moved = 0; moved < total; moved += step) {
    clock.advance(Math.min(step, total - moved));
    taken.push(...em.takeDue());
  }
  return taken;
}

/** A target for the state machine, with overrides. */
const target = (overrides: Record<string, unknown> = {}) => ({ Arn: STATE_MACHINE, RoleArn: ROLE, Input: INPUT, ...overrides });

const berlin = (expression: string) => ({ ScheduleExpression: expression, ScheduleExpressionTimezone: 'Europe/Berlin' });

const times = (invocations: readonly Invocation[]) => invocations.map((i) => i.scheduledTime.toISOString());

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e: unknown) {
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('Scheduler emulator: the API', () => {
  it('a schedule round-trips through create, get, update and delete with every field preserved', async () => {
    const { clock, emulator: em, scheduler } = await start('2026-12-04T00:00:00Z');
    await scheduler.send(new CreateScheduleGroupCommand({ Name: 'fsx-backup-dev' }));
    const created = await scheduler.send(
      new CreateScheduleCommand(
        schedule('daily', {
          GroupName: 'fsx-backup-dev',
          Description: 'nightly backups',
          ScheduleExpressionTimezone: 'Europe/Berlin',
          StartDate: new Date('2026-12-05T00:00:00Z'),
          EndDate: new Date('2027-12-05T00:00:00Z'),
          FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
          State: 'ENABLED',
          ActionAfterCompletion: 'NONE',
          Target: {
            Arn: STATE_MACHINE,
            RoleArn: ROLE,
            Input: INPUT,
            RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
            DeadLetterConfig: { Arn: DLQ },
          },
        }),
      ),
    );
    expect(created.ScheduleArn).toBe('arn:aws:scheduler:us-east-1:123456789012:schedule/fsx-backup-dev/daily');

    const got = await scheduler.send(new GetScheduleCommand({ Name: 'daily', GroupName: 'fsx-backup-dev' }));
    expect(got).toMatchObject({
      Arn: created.ScheduleArn,
      Name: 'daily',
      GroupName: 'fsx-backup-dev',
      Description: 'nightly backups',
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      StartDate: new Date('2026-12-05T00:00:00Z'),
      EndDate: new Date('2027-12-05T00:00:00Z'),
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      State: 'ENABLED',
      ActionAfterCompletion: 'NONE',
      CreationDate: new Date('2026-12-04T00:00:00Z'),
      LastModificationDate: new Date('2026-12-04T00:00:00Z'),
      Target: {
        Arn: STATE_MACHINE,
        RoleArn: ROLE,
        Input: INPUT,
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
        DeadLetterConfig: { Arn: DLQ },
      },
    });

    // UpdateSchedule replaces the whole schedule: what is left out goes back to its default.
    clock.advance(HOUR);
    await scheduler.send(
      new UpdateScheduleCommand(
        schedule('daily', { GroupName: 'fsx-backup-dev', ScheduleExpression: 'cron(0 3 * * ? *)', State: 'DISABLED' }),
      ),
    );
    const [updated] = em.schedules();
    expect(updated).toMatchObject({
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'DISABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: target({ RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } }),
      CreationDate: new Date('2026-12-04T00:00:00Z'),
      LastModificationDate: new Date('2026-12-04T01:00:00Z'),
    });
    expect(updated?.Description).toBeUndefined();
    expect(updated?.StartDate).toBeUndefined();
    expect(updated?.Target.DeadLetterConfig).toBeUndefined();

    await scheduler.send(new DeleteScheduleCommand({ Name: 'daily', GroupName: 'fsx-backup-dev' }));
    expect(em.schedules()).toEqual([]);
    expect(em.calls).toMatchObject({ CreateScheduleGroup: 1, CreateSchedule: 1, GetSchedule: 1, UpdateSchedule: 1, DeleteSchedule: 1 });
  });

  it('ListSchedules pages with MaxResults and filters by group, name prefix and state', async () => {
    const { scheduler } = await start('2026-12-04T00:00:00Z');
    await scheduler.send(new CreateScheduleGroupCommand({ Name: 'other' }));
    for (let i = 1; i <= 5; i++) {
      await scheduler.send(new CreateScheduleCommand(schedule(`policy-${i}`, { State: i === 3 ? 'DISABLED' : 'ENABLED' })));
    }
    await scheduler.send(new CreateScheduleCommand(schedule('elsewhere', { GroupName: 'other' })));

    const firstPage = await scheduler.send(new ListSchedulesCommand({ MaxResults: 2 }));
    expect(firstPage.Schedules).toHaveLength(2);
    expect(firstPage.NextToken).toBeDefined();

    const names: string[] = [];
    for await (const page of paginateListSchedules({ client: scheduler, pageSize: 2 }, {})) {
      expect(page.Schedules?.length ?? 0).toBeLessThanOrEqual(2);
      names.push(...(page.Schedules ?? []).map((s) => `${s.GroupName}/${s.Name}`));
    }
    expect(names).toEqual([
      'default/policy-1',
      'default/policy-2',
      'default/policy-3',
      'default/policy-4',
      'default/policy-5',
      'other/elsewhere',
    ]);

    const inOther = await scheduler.send(new ListSchedulesCommand({ GroupName: 'other' }));
    expect(inOther.Schedules?.map((s) => s.Name)).toEqual(['elsewhere']);
    expect(inOther.Schedules?.[0]).toMatchObject({
      Target: { Arn: STATE_MACHINE },
      State: 'ENABLED',
      CreationDate: new Date('2026-12-04T00:00:00Z'),
    });
    const disabled = await scheduler.send(new ListSchedulesCommand({ State: 'DISABLED' }));
    expect(disabled.Schedules?.map((s) => s.Name)).toEqual(['policy-3']);
    const prefixed = await scheduler.send(new ListSchedulesCommand({ NamePrefix: 'else' }));
    expect(prefixed.Schedules?.map((s) => s.Name)).toEqual(['elsewhere']);
  });

  it('creating a schedule under a name already taken in its group fails with ConflictException', async () => {
    const { emulator: em, scheduler } = await start('2026-12-04T00:00:00Z');
    await scheduler.send(new CreateScheduleCommand(schedule('daily')));
    const error = await rejection(scheduler.send(new CreateScheduleCommand(schedule('daily', { ScheduleExpression: 'rate(1 hour)' }))));
    expect(error).toBeInstanceOf(ConflictException);
    expect((error as ConflictException).message).toBe('Schedule daily already exists in schedule group default.');
    expect((error as ConflictException).$metadata.httpStatusCode).toBe(409);
    expect(em.schedules().map((s) => s.ScheduleExpression)).toEqual(['cron(0 2 * * ? *)']);
  });

  it('getting, updating or deleting a missing schedule, or one in a missing group, fails with ResourceNotFoundException', async () => {
    const { scheduler } = await start('2026-12-04T00:00:00Z');
    const calls = [
      scheduler.send(new GetScheduleCommand({ Name: 'nope' })),
      scheduler.send(new DeleteScheduleCommand({ Name: 'nope' })),
      scheduler.send(new UpdateScheduleCommand(schedule('nope'))),
      scheduler.send(new GetScheduleCommand({ Name: 'daily', GroupName: 'no-such-group' })),
      scheduler.send(new DeleteScheduleCommand({ Name: 'daily', GroupName: 'no-such-group' })),
      scheduler.send(new CreateScheduleCommand(schedule('daily', { GroupName: 'no-such-group' }))),
      scheduler.send(new GetScheduleGroupCommand({ Name: 'no-such-group' })),
      scheduler.send(new DeleteScheduleGroupCommand({ Name: 'no-such-group' })),
    ];
    const errors = await Promise.all(calls.map(rejection));
    for (const error of errors) {
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    }
    expect((errors[0] as Error).message).toBe('Schedule nope does not exist in schedule group default.');
    expect((errors[3] as Error).message).toBe('Schedule group no-such-group does not exist.');
  });

  it.each([
    [
      'a bad expression',
      schedule('x', { ScheduleExpression: 'cron(0 2 * * * *)' }),
      /^Invalid Schedule Expression cron\(0 2 \* \* \* \*\): one of day-of-month and day-of-week must be \?/,
    ],
    [
      'a rate with the wrong unit',
      schedule('x', { ScheduleExpression: 'rate(5 seconds)' }),
      /^Invalid Schedule Expression rate\(5 seconds\): rate unit must be/,
    ],
    [
      'an unknown time zone',
      schedule('x', { ScheduleExpressionTimezone: 'Europe/Berln' }),
      /^Invalid ScheduleExpressionTimezone Europe\/Berln: use an IANA time zone name/,
    ],
    [
      'a flexible window without its size',
      schedule('x', { FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }),
      /^FlexibleTimeWindow\.MaximumWindowInMinutes is required when Mode is FLEXIBLE$/,
    ],
    [
      'a flexible window over a day',
      schedule('x', { FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1441 } }),
      /^FlexibleTimeWindow\.MaximumWindowInMinutes must be at most 1440, got 1441$/,
    ],
    [
      'a window size with Mode OFF',
      schedule('x', { FlexibleTimeWindow: { Mode: 'OFF', MaximumWindowInMinutes: 5 } }),
      /^FlexibleTimeWindow\.MaximumWindowInMinutes must not be set when Mode is OFF$/,
    ],
    ['a name with a space', schedule('bad name'), /^Name must match \^\[0-9a-zA-Z-_\.\]\+\$ .*, got "bad name"$/],
    ['a name over 64 characters', schedule('n'.repeat(65)), /^Name must be at most 64 characters long$/],
    [
      'a role that is not an IAM role ARN',
      schedule('x', { Target: target({ RoleArn: 'scheduler-role' }) }),
      /^Target\.RoleArn must be an IAM role ARN/,
    ],
    [
      'an Input over 8192 characters',
      schedule('x', { Target: target({ Input: 'x'.repeat(8193) }) }),
      /^Target\.Input must be at most 8192 characters long$/,
    ],
    [
      'a retry policy out of range',
      schedule('x', { Target: target({ RetryPolicy: { MaximumEventAgeInSeconds: 30 } }) }),
      /^Target\.RetryPolicy\.MaximumEventAgeInSeconds must be at least 60, got 30$/,
    ],
    [
      'a dead-letter queue that is not SQS',
      schedule('x', { Target: target({ DeadLetterConfig: { Arn: 'arn:aws:sns:us-east-1:123456789012:topic' } }) }),
      /^Target\.DeadLetterConfig\.Arn must be an SQS queue ARN/,
    ],
    ['a missing target', { ...schedule('x'), Target: undefined }, /^Target is required$/],
    [
      'a StartDate more than 5 minutes ago',
      schedule('x', { StartDate: new Date('2026-12-03T23:54:00Z') }),
      /^The StartDate you specify cannot be earlier than 5 minutes ago\.$/,
    ],
    [
      'an EndDate before the StartDate',
      schedule('x', { StartDate: new Date('2026-12-06T00:00:00Z'), EndDate: new Date('2026-12-05T00:00:00Z') }),
      /^The EndDate you specify must be after the StartDate\.$/,
    ],
  ] as const)('a schedule with %s fails with ValidationException', async (_case, input, message) => {
    const { emulator: em, scheduler } = await start('2026-12-04T00:00:00Z');
    const error = await rejection(scheduler.send(new CreateScheduleCommand(input as CreateScheduleCommandInput)));
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as ValidationException).message).toMatch(message);
    expect((error as ValidationException).$metadata.httpStatusCode).toBe(400);
    expect(em.schedules()).toEqual([]);
  });

  it('schedule groups are created, listed and tagged; deleting one deletes its schedules; default always exists', async () => {
    const { emulator: em, scheduler } = await start('2026-12-04T00:00:00Z');
    const { ScheduleGroupArn } = await scheduler.send(
      new CreateScheduleGroupCommand({ Name: 'fsx-backup-dev', Tags: [{ Key: 'app', Value: 'fsx-backup' }] }),
    );
    expect(ScheduleGroupArn).toBe('arn:aws:scheduler:us-east-1:123456789012:schedule-group/fsx-backup-dev');
    expect(await rejection(scheduler.send(new CreateScheduleGroupCommand({ Name: 'fsx-backup-dev' })))).toBeInstanceOf(ConflictException);

    const groups = await scheduler.send(new ListScheduleGroupsCommand({}));
    expect(groups.ScheduleGroups?.map((g) => [g.Name, g.State])).toEqual([
      ['default', 'ACTIVE'],
      ['fsx-backup-dev', 'ACTIVE'],
    ]);
    expect(await scheduler.send(new GetScheduleGroupCommand({ Name: 'fsx-backup-dev' }))).toMatchObject({
      Arn: ScheduleGroupArn,
      CreationDate: new Date('2026-12-04T00:00:00Z'),
    });
    await scheduler.send(new TagResourceCommand({ ResourceArn: ScheduleGroupArn, Tags: [{ Key: 'stage', Value: 'dev' }] }));
    expect((await scheduler.send(new ListTagsForResourceCommand({ ResourceArn: ScheduleGroupArn }))).Tags).toEqual([
      { Key: 'app', Value: 'fsx-backup' },
      { Key: 'stage', Value: 'dev' },
    ]);

    await scheduler.send(new CreateScheduleCommand(schedule('daily', { GroupName: 'fsx-backup-dev' })));
    await scheduler.send(new CreateScheduleCommand(schedule('daily')));
    await scheduler.send(new DeleteScheduleGroupCommand({ Name: 'fsx-backup-dev' }));
    expect(em.schedules().map((s) => s.Arn)).toEqual(['arn:aws:scheduler:us-east-1:123456789012:schedule/default/daily']);

    const error = await rejection(scheduler.send(new DeleteScheduleGroupCommand({ Name: 'default' })));
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toBe('The default schedule group cannot be deleted.');
  });
});

describe('Scheduler emulator: firing on the shared clock', () => {
  it('a cron in Europe/Berlin across the 2026-03-29 spring-forward fires at the right UTC instants, skipping 02:30', async () => {
    const { clock, emulator: em, scheduler } = await start('2026-03-27T00:00:00Z');
    await scheduler.send(new CreateScheduleCommand(schedule('half-past-two', berlin('cron(30 2 * * ? *)'))));
    await scheduler.send(new CreateScheduleCommand(schedule('nine', berlin('cron(0 9 * * ? *)'))));

    const fired = advanceTaking(clock, em, 4 * DAY);
    const byName = (name: string) => times(fired.filter((i) => i.name === name));
    // 02:30 CET is 01:30Z; on the 29th 02:30 does not exist; from the 30th 02:30 CEST is 00:30Z.
    expect(byName('half-past-two')).toEqual(['2026-03-27T01:30:00.000Z', '2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z']);
    expect(byName('nine')).toEqual([
      '2026-03-27T08:00:00.000Z',
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
    expect(em.nextFireTime()).toEqual(new Date('2026-03-31T00:30:00Z'));
  });

  it('a cron in Europe/Berlin on the 2026-10-25 fall-back fires the repeated 02:30 once, at its first occurrence', async () => {
    const { clock, emulator: em, scheduler } = await start('2026-10-24T00:00:00Z');
    await scheduler.send(new CreateScheduleCommand(schedule('half-past-two', berlin('cron(30 2 * * ? *)'))));
    expect(times(advanceTaking(clock, em, 3 * DAY))).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('the context keywords in Target.Input are replaced in each invocation', async () => {
    const { clock, emulator: em, scheduler } = await start('2026-12-04T00:00:00Z');
    const Input = JSON.stringify({
      policyId: 'daily',
      scheduledTime: '<aws.scheduler.scheduled-time>',
      arn: '<aws.scheduler.schedule-arn>',
      executionId: '<aws.scheduler.execution-id>',
      attempt: '<aws.scheduler.attempt-number>',
    });
    const { ScheduleArn } = await scheduler.send(
      new CreateScheduleCommand(schedule('daily', { ScheduleExpression: 'cron(0 1 * * ? *)', Target: target({ Input }) })),
    );
    const fired = advanceTaking(clock, em, 2 * DAY);
    expect(fired).toHaveLength(2);
    const [first, second] = fired.map((i) => JSON.parse(i.input) as Record<string, string>);
    expect(first).toMatchObject({ policyId: 'daily', scheduledTime: '2026-12-04T01:00:00Z', arn: ScheduleArn, attempt: '1' });
    expect(second?.scheduledTime).toBe('2026-12-05T01:00:00Z');
    expect(first?.executionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(first?.executionId).not.toBe(second?.executionId);
    expect(fired[0]).toMatchObject({
      scheduleArn: ScheduleArn,
      groupName: 'default',
      name: 'daily',
      attempt: 1,
      target: { Arn: STATE_MACHINE, RoleArn: ROLE },
    });
    expect(fired[0]?.executionId).toBe(first?.executionId);
  });

  it('a disabled schedule fires nothing, and enabling it owes only the fire times after the update', async () => {
    const { clock, emulator: em, scheduler } = await start('2026-12-04T00:00:00Z');
    await scheduler.send(new CreateScheduleCommand(schedule('hourly', { ScheduleExpression: 'cron(0 * * * ? *)', State: 'DISABLED' })));
    expect(advanceTaking(clock, em, 3 * HOUR + 30 * MINUTE, 30 * MINUTE)).toEqual([]);
    expect(em.nextFireTime()).toBeUndefined();
    expect(em.schedules()[0]?.nextFireTime).toBeUndefined();

    await scheduler.send(new UpdateScheduleCommand(schedule('hourly', { ScheduleExpression: 'cron(0 * * * ? *)', State: 'ENABLED' })));
    expect(em.nextFireTime()).toEqual(new Date('2026-12-04T04:00:00Z'));
    expect(times(advanceTaking(clock, em, 2 * HOUR))).toEqual(['2026-12-04T04:00:00.000Z', '2026-12-04T05:00:00.000Z']);
  });

  it('an update re-plans from the update time: the old expression stops and the new one fires', async () => {
    const { clock, emulator: em, scheduler } = await start('2026-12-04T00:00:00Z');
    await scheduler.send(new CreateScheduleCommand(schedule('daily', { ScheduleExpression: 'cron(0 2 * * ? *)' })));
    expect(times(advanceTaking(clock, em, 3 * HOUR))).toEqual(['2026-12-04T02:00:00.000Z']);

    // At 03:00 move the schedule to 01:00 and 05:00: 05:00 today is next, 01:00 today is past.
    await scheduler.send(new UpdateScheduleCommand(schedule('daily', { ScheduleExpression: 'cron(0 1,5 * * ? *)' })));
    expect(em.nextFireTime()).toEqual(new Date('2026-12-04T05:00:00Z'));
    expect(times(advanceTaking(clock, em, DAY))).toEqual(['2026-12-04T05:00:00.000Z', '2026-12-05T01:00:00.000Z']);
  });

  it('a rate schedule without StartDate fires at its creation and then every interval from it; with one, from the StartDate', async () => {
    const { clock, emulator: em, scheduler } = await start('2026-12-04T00:07:00Z');
    await scheduler.send(new CreateScheduleCommand(schedule('every-6h', { ScheduleExpression: 'rate(6 hours)' })));
    await scheduler.send(
      new CreateScheduleCommand(
        schedule('from-start', { ScheduleExpression: 'rate(12 hours)', StartDate: new Date('2026-12-04T10:00:00Z') }),
      ),
    );
    expect(times(em.takeDue())).toEqual(['2026-12-04T00:07:00.000Z']);

    const fired = advanceTaking(clock, em, DAY);
    expect(times(fired.filter((i) => i.name === 'every-6h'))).toEqual([
      '2026-12-04T06:07:00.000Z',
      '2026-12-04T12:07:00.000Z',
      '2026-12-04T18:07:00.000Z',
      '2026-12-05T00:07:00.000Z',
    ]);
    expect(times(fired.filter((i) => i.name === 'from-start'))).toEqual(['2026-12-04T10:00:00.000Z', '2026-12-04T22:00:00.000Z']);
  });

  it('a schedule fires nothing after its EndDate', async () => {
    const { clock, emulator: em, scheduler } = await start('2026-12-04T00:00:00Z');
    await scheduler.send(
      new CreateScheduleCommand(
        schedule('until-sunday', { ScheduleExpression: 'cron(0 2 * * ? *)', EndDate: new Date('2026-12-06T02:00:00Z') }),
      ),
    );
    expect(times(advanceTaking(clock, em, 5 * DAY))).toEqual([
      '2026-12-04T02:00:00.000Z',
      '2026-12-05T02:00:00.000Z',
      '2026-12-06T02:00:00.000Z',
    ]);
    expect(em.nextFireTime()).toBeUndefined();
    expect(em.schedules().map((s) => s.Name)).toEqual(['until-sunday']);
  });

  it('an at() schedule fires once, and with ActionAfterCompletion DELETE is gone after firing', async () => {
    const { clock, emulator: em, scheduler } = await start('2026-12-04T00:00:00Z');
    await scheduler.send(new CreateScheduleCommand(schedule('once', berlin('at(2026-12-04T09:30:00)'))));
    await scheduler.send(
      new CreateScheduleCommand(
        schedule('once-then-gone', { ScheduleExpression: 'at(2026-12-04T10:00:00)', ActionAfterCompletion: 'DELETE' }),
      ),
    );
    const fired = advanceTaking(clock, em, 2 * DAY);
    expect(fired.map((i) => [i.name, i.scheduledTime.toISOString()])).toEqual([
      ['once', '2026-12-04T08:30:00.000Z'],
      ['once-then-gone', '2026-12-04T10:00:00.000Z'],
    ]);
    expect(em.schedules().map((s) => s.Name)).toEqual(['once']);
    expect(await rejection(scheduler.send(new GetScheduleCommand({ Name: 'once-then-gone' })))).toBeInstanceOf(ResourceNotFoundException);
  });

  it('a flexible window delivers at the scheduled time, which is what the input carries', async () => {
    const { clock, emulator: em, scheduler } = await start('2026-12-04T00:00:00Z');
    await scheduler.send(
      new CreateScheduleCommand(schedule('flex', { FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 } })),
    );
    clock.set(new Date('2026-12-04T02:00:00Z'));
    const [invocation] = em.takeDue();
    expect(invocation?.scheduledTime).toEqual(new Date('2026-12-04T02:00:00Z'));
    expect(JSON.parse(invocation?.input ?? '{}')).toMatchObject({ scheduledTime: '2026-12-04T02:00:00Z' });
  });

  it('a clock jump over several fire times delivers each, oldest first, but drops those older than MaximumEventAgeInSeconds', async () => {
    const { clock, emulator: em, scheduler } = await start('2026-12-04T00:00:00Z');
    await scheduler.send(
      new CreateScheduleCommand(
        schedule('hourly', {
          ScheduleExpression: 'cron(0 * * * ? *)',
          Target: target({ RetryPolicy: { MaximumEventAgeInSeconds: 3 * 3600 } }),
        }),
      ),
    );
    await scheduler.send(new CreateScheduleCommand(schedule('daily', { ScheduleExpression: 'cron(30 0 * * ? *)' })));
    clock.advance(6 * HOUR);
    expect(em.nextFireTime()).toEqual(new Date('2026-12-04T00:30:00Z'));

    const due = em.takeDue();
    expect(due.map((i) => [i.name, i.scheduledTime.toISOString()])).toEqual([
      ['daily', '2026-12-04T00:30:00.000Z'],
      ['hourly', '2026-12-04T03:00:00.000Z'],
      ['hourly', '2026-12-04T04:00:00.000Z'],
      ['hourly', '2026-12-04T05:00:00.000Z'],
      ['hourly', '2026-12-04T06:00:00.000Z'],
    ]);
    expect(em.dropped().map((d) => [d.name, d.scheduledTime.toISOString()])).toEqual([
      ['hourly', '2026-12-04T01:00:00.000Z'],
      ['hourly', '2026-12-04T02:00:00.000Z'],
    ]);
    expect(em.takeDue()).toEqual([]);
    expect(em.nextFireTime()).toEqual(new Date('2026-12-04T07:00:00Z'));
  });
});
