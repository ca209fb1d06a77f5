// The Scheduler emulator's state and firing: schedule groups, schedules, and the invocations each
// schedule owes as the shared clock moves. Time is caught up lazily: every request and every
// programmatic look first turns the fire times that became due since the last look into
// invocations, so the result is the same as a scheduler that never sleeps.
import { randomUUID } from 'node:crypto';
import type {
  CreateScheduleGroupOutput,
  CreateScheduleOutput,
  GetScheduleGroupOutput,
  GetScheduleOutput,
  ListScheduleGroupsOutput,
  ListSchedulesOutput,
  ListTagsForResourceOutput,
  ScheduleGroupSummary,
  ScheduleSummary,
  Target,
} from '@aws-sdk/client-scheduler';
import type { Clock } from '../../functions/shared/clock.js';
import { fireTimesBetween, nextFireTimes } from '../../functions/shared/domain/schedule.js';
import { scheduleExpressionKind, type ScheduleExpressionKind } from '../../functions/shared/domain/schedule-expression.js';
import {
  groupExists,
  groupNotFound,
  quotaExceeded,
  resourceNotFound,
  scheduleExists,
  scheduleNotFound,
  validation,
} from './errors.js';
import { checkName, type ListQuery, type ScheduleBody, type Tag } from './validate.js';

export const DEFAULT_GROUP = 'default';
/** Defaults the service fills in when a target has no RetryPolicy. */
export const DEFAULT_RETRY_POLICY = Object.freeze({ MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 });
/** Schedule groups per account and Region (the service's default quota). */
export const MAX_SCHEDULE_GROUPS = 500;
/** How far in the past a recurring schedule's StartDate may lie. */
const START_DATE_GRACE_MS = 5 * 60_000;
const PAGE_SIZE = 100;
const FIRE_TIME_CHUNK = 1000;

export type ScheduleStateName = 'ENABLED' | 'DISABLED';

/** A schedule as GetSchedule returns it, plus when it fires next. */
export interface ScheduleState {
  Arn: string;
  GroupName: string;
  Name: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  State: ScheduleStateName;
  Description?: string;
  StartDate?: Date;
  EndDate?: Date;
  KmsKeyArn?: string;
  FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  Target: Target & { RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number } };
  ActionAfterCompletion: 'NONE' | 'DELETE';
  CreationDate: Date;
  LastModificationDate: Date;
  /** The next fire time still owed; undefined when disabled or when nothing is left to fire. */
  nextFireTime?: Date;
}

/** One delivery of a schedule to its target. */
export interface Invocation {
  scheduleArn: string;
  groupName: string;
  name: string;
  target: ScheduleState['Target'];
  /** The fire time (not the delivery time), as `<aws.scheduler.scheduled-time>` shows it. */
  scheduledTime: Date;
  /** Target.Input with the context keywords replaced; `{}` when the target has no Input. */
  input: string;
  executionId: string;
  attempt: 1;
}

/** A fire time that was not delivered within its target's MaximumEventAgeInSeconds. */
export interface DroppedInvocation {
  scheduleArn: string;
  groupName: string;
  name: string;
  scheduledTime: Date;
}

interface ScheduleRecord {
  spec: Omit<ScheduleState, 'nextFireTime'>;
  kind: ScheduleExpressionKind;
  /** Where a rate schedule counts from: its StartDate, else its creation. */
  anchor?: Date;
  /** Fire times strictly after this instant (ms) are still owed. */
  cursor: number;
  /** Cache: the first fire time after the cursor, EndDate aside (null: none); undefined: unknown. */
  upcoming?: number | null;
}

interface GroupRecord {
  name: string;
  arn: string;
  creationDate: Date;
  lastModificationDate: Date;
  tags: Tag[];
  schedules: Map<string, ScheduleRecord>;
}

export class SchedulerModel {
  private groups = new Map<string, GroupRecord>();
  private pending: Invocation[] = [];
  private droppedInvocations: DroppedInvocation[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly region: string,
    private readonly accountId: string,
  ) {
    this.addGroup(DEFAULT_GROUP, []);
  }

  // -------------------------------------------------------------------------------------------
  // Schedules

  createSchedule(name: string, body: ScheduleBody): CreateScheduleOutput {
    this.catchUp();
    checkName(name, 'Name');
    const group = this.group(body.GroupName ?? DEFAULT_GROUP);
    if (group.schedules.has(name)) throw scheduleExists(group.name, name);
    const now = this.clock.now();
    const kind = this.checkDates(body, now);
    const record: ScheduleRecord = {
      spec: this.specOf(group.name, name, body, now, now),
      kind,
      cursor: Number.NEGATIVE_INFINITY,
    };
    this.plan(record, now, 'create');
    group.schedules.set(name, record);
    this.completeFinished();
    return { ScheduleArn: record.spec.Arn };
  }

  /** A full replacement, as the service does it: fields left out go back to their defaults. */
  updateSchedule(name: string, body: ScheduleBody): CreateScheduleOutput {
    this.catchUp();
    checkName(name, 'Name');
    const group = this.group(body.GroupName ?? DEFAULT_GROUP);
    const existing = group.schedules.get(name);
    if (!existing) throw scheduleNotFound(group.name, name);
    const now = this.clock.now();
    existing.kind = this.checkDates(body, now);
    existing.spec = this.specOf(group.name, name, body, existing.spec.CreationDate, now);
    this.plan(existing, now, 'update');
    this.completeFinished();
    return { ScheduleArn: existing.spec.Arn };
  }

  getSchedule(name: string, groupName: string | undefined): GetScheduleOutput {
    this.catchUp();
    return { ...this.schedule(name, groupName).spec };
  }

  deleteSchedule(name: string, groupName: string | undefined): Record<string, never> {
    this.catchUp();
    const record = this.schedule(name, groupName);
    this.groups.get(record.spec.GroupName)?.schedules.delete(name);
    return {};
  }

  listSchedules(query: ListQuery): ListSchedulesOutput {
    this.catchUp();
    const all: ScheduleRecord[] = [];
    for (const group of this.groups.values()) {
      if (query.ScheduleGroup !== undefined && group.name !== query.ScheduleGroup) continue;
      for (const record of group.schedules.values()) {
        if (query.NamePrefix !== undefined && !record.spec.Name.startsWith(query.NamePrefix)) continue;
        if (query.State !== undefined && record.spec.State !== query.State) continue;
        all.push(record);
      }
    }
    const { page, nextToken } = paginate(all, (r) => `${r.spec.GroupName}\u0000${r.spec.Name}`, query);
    const Schedules: ScheduleSummary[] = page.map(({ spec }) => ({
      Arn: spec.Arn,
      Name: spec.Name,
      GroupName: spec.GroupName,
      State: spec.State,
      CreationDate: spec.CreationDate,
      LastModificationDate: spec.LastModificationDate,
      Target: { Arn: spec.Target.Arn },
    }));
    return { Schedules, NextToken: nextToken };
  }

  // -------------------------------------------------------------------------------------------
  // Schedule groups

  createScheduleGroup(name: string, tags: Tag[] = []): CreateScheduleGroupOutput {
    this.catchUp();
    checkName(name, 'Name');
    if (this.groups.has(name)) throw groupExists(name);
    if (this.groups.size >= MAX_SCHEDULE_GROUPS) {
      throw quotaExceeded(`The account already has ${MAX_SCHEDULE_GROUPS} schedule groups, the most allowed.`);
    }
    return { ScheduleGroupArn: this.addGroup(name, tags).arn };
  }

  getScheduleGroup(name: string): GetScheduleGroupOutput {
    this.catchUp();
    checkName(name, 'Name');
    return groupSummary(this.group(name));
  }

  /** Deletes the group and every schedule in it (the service does this asynchronously). */
  deleteScheduleGroup(name: string): Record<string, never> {
    this.catchUp();
    checkName(name, 'Name');
    if (name === DEFAULT_GROUP) throw validation('The default schedule group cannot be deleted.');
    this.group(name);
    this.groups.delete(name);
    return {};
  }

  listScheduleGroups(query: ListQuery): ListScheduleGroupsOutput {
    this.catchUp();
    const all = [...this.groups.values()].filter((g) => query.NamePrefix === undefined || g.name.startsWith(query.NamePrefix));
    const { page, nextToken } = paginate(all, (g) => g.name, query);
    return { ScheduleGroups: page.map(groupSummary), NextToken: nextToken };
  }

  // Tags: only schedule groups carry tags in EventBridge Scheduler.

  listTagsForResource(arn: string): ListTagsForResourceOutput {
    return { Tags: this.groupByArn(arn).tags.map((t) => ({ ...t })) };
  }

  tagResource(arn: string, tags: Tag[]): Record<string, never> {
    const group = this.groupByArn(arn);
    for (const tag of tags) {
      group.tags = [...group.tags.filter((t) => t.Key !== tag.Key), { ...tag }];
    }
    return {};
  }

  untagResource(arn: string, keys: string[]): Record<string, never> {
    const group = this.groupByArn(arn);
    group.tags = group.tags.filter((t) => !keys.includes(t.Key));
    return {};
  }

  // -------------------------------------------------------------------------------------------
  // Firing

  /** Ground truth: every schedule at clock.now(), by group then name. */
  schedules(): ScheduleState[] {
    this.catchUp();
    return this.records().map((record) => ({ ...record.spec, nextFireTime: this.nextFire(record) }));
  }

  /** The earliest fire time not yet taken: a due one still pending, or the next one owed. */
  nextFireTime(): Date | undefined {
    this.catchUp();
    let earliest = Math.min(...this.pending.map((i) => i.scheduledTime.getTime()));
    for (const record of this.records()) {
      const next = this.nextFire(record);
      if (next) earliest = Math.min(earliest, next.getTime());
    }
    return Number.isFinite(earliest) ? new Date(earliest) : undefined;
  }

  /**
   * The invocations due at or before clock.now() and not yet taken, oldest first (ties by group
   * and name); they count as delivered. Those older than their target's MaximumEventAgeInSeconds
   * are dropped instead, as the service would stop retrying them.
   */
  takeDue(): Invocation[] {
    this.catchUp();
    const now = this.clock.now().getTime();
    const due: Invocation[] = [];
    for (const invocation of this.pending) {
      if (now - invocation.scheduledTime.getTime() > maxEventAgeMs(invocation.target)) this.drop(invocation);
      else due.push(invocation);
    }
    this.pending = [];
    return due.sort(
      (a, b) =>
        a.scheduledTime.getTime() - b.scheduledTime.getTime() ||
        a.groupName.localeCompare(b.groupName) ||
        a.name.localeCompare(b.name),
    );
  }

  dropped(): DroppedInvocation[] {
    this.catchUp();
    return this.droppedInvocations.map((d) => ({ ...d }));
  }

  /** Turns every fire time up to clock.now() into a pending invocation (or a dropped one). */
  catchUp(): void {
    const now = this.clock.now();
    for (const record of this.records()) {
      if (record.spec.State !== 'ENABLED') continue;
      const upcoming = this.upcoming(record);
      if (upcoming === null || upcoming > now.getTime()) continue;
      record.upcoming = undefined;
      const cutoff = now.getTime() - maxEventAgeMs(record.spec.Target);
      for (;;) {
        const times = fireTimesBetween(
          record.spec.ScheduleExpression,
          record.spec.ScheduleExpressionTimezone,
          new Date(Math.min(record.cursor, now.getTime())),
          now,
          FIRE_TIME_CHUNK,
          { anchor: record.anchor },
        );
        let ended = false;
        for (const time of times) {
          if (this.pastEnd(record, time)) {
            ended = true;
            break;
          }
          record.cursor = time.getTime();
          if (time.getTime() < cutoff) this.drop({ ...identity(record), scheduledTime: time });
          else this.pending.push(invocationOf(record, time));
        }
        if (ended || times.length < FIRE_TIME_CHUNK) break;
      }
    }
    this.completeFinished();
  }

  // -------------------------------------------------------------------------------------------

  private addGroup(name: string, tags: Tag[]): GroupRecord {
    const now = this.clock.now();
    const group: GroupRecord = {
      name,
      arn: `arn:aws:scheduler:${this.region}:${this.accountId}:schedule-group/${name}`,
      creationDate: now,
      lastModificationDate: now,
      tags: tags.map((t) => ({ ...t })),
      schedules: new Map(),
    };
    this.groups.set(name, group);
    return group;
  }

  private group(name: string): GroupRecord {
    const group = this.groups.get(name);
    if (!group) throw groupNotFound(name);
    return group;
  }

  private groupByArn(arn: string): GroupRecord {
    for (const group of this.groups.values()) if (group.arn === arn) return group;
    throw resourceNotFound(arn);
  }

  private schedule(name: string, groupName: string | undefined): ScheduleRecord {
    checkName(name, 'Name');
    const group = this.group(groupName === undefined ? DEFAULT_GROUP : checkName(groupName, 'GroupName'));
    const record = group.schedules.get(name);
    if (!record) throw scheduleNotFound(group.name, name);
    return record;
  }

  private records(): ScheduleRecord[] {
    return [...this.groups.values()].flatMap((g) => [...g.schedules.values()]);
  }

  private specOf(groupName: string, name: string, body: ScheduleBody, created: Date, modified: Date): ScheduleRecord['spec'] {
    const { RetryPolicy, ...target } = body.Target;
    return {
      Arn: `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${groupName}/${name}`,
      GroupName: groupName,
      Name: name,
      ScheduleExpression: body.ScheduleExpression,
      ScheduleExpressionTimezone: body.ScheduleExpressionTimezone ?? 'UTC',
      State: body.State ?? 'ENABLED',
      Description: body.Description,
      StartDate: body.StartDate,
      EndDate: body.EndDate,
      KmsKeyArn: body.KmsKeyArn,
      FlexibleTimeWindow: { ...body.FlexibleTimeWindow },
      Target: structuredClone({ ...target, RetryPolicy: { ...DEFAULT_RETRY_POLICY, ...RetryPolicy } }),
      ActionAfterCompletion: body.ActionAfterCompletion ?? 'NONE',
      CreationDate: created,
      LastModificationDate: modified,
    };
  }

  /** StartDate and EndDate rules of recurring schedules (one-time schedules ignore both). */
  private checkDates(body: ScheduleBody, now: Date): ScheduleExpressionKind {
    const kind = scheduleExpressionKind(body.ScheduleExpression) ?? 'cron';
    if (kind === 'at') return kind;
    const { StartDate: start, EndDate: end } = body;
    if (start && start.getTime() < now.getTime() - START_DATE_GRACE_MS) {
      throw validation('The StartDate you specify cannot be earlier than 5 minutes ago.');
    }
    if (end && end.getTime() <= now.getTime()) throw validation('The EndDate you specify must be in the future.');
    if (start && end && end.getTime() <= start.getTime()) throw validation('The EndDate you specify must be after the StartDate.');
    return kind;
  }

  /**
   * Where a created or updated schedule starts owing fire times:
   * - cron: strictly after the change, and at or after StartDate;
   * - rate: at anchor + k × interval, the anchor being StartDate or else the creation (second
   *   precision); a new schedule owes the anchor itself ("starts invoking immediately"), an
   *   updated one only times strictly after the update, keeping its anchor;
   * - at: its one time, if strictly after the change.
   * A fire time already taken is never owed again.
   */
  private plan(record: ScheduleRecord, changedAt: Date, change: 'create' | 'update'): void {
    const { spec } = record;
    const changed = changedAt.getTime();
    let from = changed;
    if (record.kind === 'rate') {
      record.anchor = spec.StartDate ?? new Date(floorSecond(spec.CreationDate.getTime()));
      if (change === 'create') from = floorSecond(changed) - 1;
    } else {
      record.anchor = undefined;
      if (record.kind === 'cron' && spec.StartDate) from = Math.max(from, spec.StartDate.getTime() - 1);
    }
    record.cursor = Math.max(record.cursor, from);
    record.upcoming = undefined;
  }

  private nextFire(record: ScheduleRecord): Date | undefined {
    if (record.spec.State !== 'ENABLED') return undefined;
    const upcoming = this.upcoming(record);
    if (upcoming === null) return undefined;
    const next = new Date(upcoming);
    return this.pastEnd(record, next) ? undefined : next;
  }

  private upcoming(record: ScheduleRecord): number | null {
    if (record.upcoming === undefined) {
      const [next] = nextFireTimes(record.spec.ScheduleExpression, record.spec.ScheduleExpressionTimezone, new Date(record.cursor), 1, {
        anchor: record.anchor,
      });
      record.upcoming = next ? next.getTime() : null;
    }
    return record.upcoming;
  }

  private pastEnd(record: ScheduleRecord, time: Date): boolean {
    return record.kind !== 'at' && record.spec.EndDate !== undefined && time.getTime() > record.spec.EndDate.getTime();
  }

  /** ActionAfterCompletion DELETE: an enabled schedule with nothing left to fire goes away. */
  private completeFinished(): void {
    for (const group of this.groups.values()) {
      for (const [name, record] of group.schedules) {
        if (record.spec.ActionAfterCompletion === 'DELETE' && record.spec.State === 'ENABLED' && !this.nextFire(record)) {
          group.schedules.delete(name);
        }
      }
    }
  }

  private drop(invocation: DroppedInvocation): void {
    const { scheduleArn, groupName, name, scheduledTime } = invocation;
    this.droppedInvocations.push({ scheduleArn, groupName, name, scheduledTime });
  }
}

function identity(record: ScheduleRecord): Omit<DroppedInvocation, 'scheduledTime'> {
  return { scheduleArn: record.spec.Arn, groupName: record.spec.GroupName, name: record.spec.Name };
}

function invocationOf(record: ScheduleRecord, time: Date): Invocation {
  const executionId = randomUUID();
  const template = record.spec.Target.Input;
  const input =
    template === undefined
      ? '{}'
      : template
          .replaceAll('<aws.scheduler.scheduled-time>', formatScheduledTime(time))
          .replaceAll('<aws.scheduler.schedule-arn>', record.spec.Arn)
          .replaceAll('<aws.scheduler.execution-id>', executionId)
          .replaceAll('<aws.scheduler.attempt-number>', '1');
  return {
    ...identity(record),
    target: structuredClone(record.spec.Target),
    scheduledTime: time,
    input,
    executionId,
    attempt: 1,
  };
}

/** `2026-12-04T01:00:00Z`: UTC, whole seconds, as the service writes it. */
export function formatScheduledTime(time: Date): string {
  return new Date(floorSecond(time.getTime())).toISOString().replace('.000Z', 'Z');
}

function maxEventAgeMs(target: ScheduleState['Target']): number {
  return target.RetryPolicy.MaximumEventAgeInSeconds * 1000;
}

function floorSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function groupSummary(group: GroupRecord): ScheduleGroupSummary {
  return {
    Arn: group.arn,
    Name: group.name,
    State: 'ACTIVE',
    CreationDate: group.creationDate,
    LastModificationDate: group.lastModificationDate,
  };
}

/** Opaque page cursors: base64 of the sort key of the last item returned. */
function paginate<T>(items: readonly T[], keyOf: (item: T) => string, query: ListQuery): { page: T[]; nextToken?: string } {
  const size = query.MaxResults ?? PAGE_SIZE;
  const after = query.NextToken === undefined ? undefined : decodeNextToken(query.NextToken);
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((item) => keyOf(item) > after);
  const page = rest.slice(0, size);
  const last = page[page.length - 1];
  if (rest.length > size && last !== undefined) {
    return { page, nextToken: Buffer.from(JSON.stringify({ after: keyOf(last) })).toString('base64') };
  }
  return { page };
}

function decodeNextToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { after?: unknown }).after === 'string') {
      return (parsed as { after: string }).after;
    }
  } catch {
    // fall through: not one of ours
  }
  throw validation(`Invalid NextToken ${token}.`);
}
