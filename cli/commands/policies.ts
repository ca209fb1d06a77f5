// `fsx-backup policies ...`: validate policy files offline, put them into the policies table
// (with a dry run that shows the diff), and list, show, enable, disable and delete policies.
import { createInterface } from 'node:readline/promises';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { parsePolicy } from '../../functions/shared/domain/policy.js';
import { scheduleExpressionKind } from '../../functions/shared/domain/schedule-expression.js';
import { formatLocal, nextFireTimes } from '../../functions/shared/domain/schedule.js';
import type { ScheduleStatus } from '../../functions/shared/store/policies.js';
import type { Context } from '../context.js';
import { CliError, EXIT, NotFoundError, UsageError } from '../errors.js';
import { commandHint, printJson, utcSeconds } from '../format.js';
import { contextOf, wantsJson } from '../kit.js';
import { diffPolicy, formatChange, inPolicyOrder, withoutBookkeeping, type PolicyDiff } from '../policy-diff.js';
import { formatFileErrors, readPolicyFiles, type PolicyFile } from '../policy-files.js';
import { renderTable } from '../table.js';

export function registerPolicies(program: Command): void {
  const policies = program.command('policies').description('backup policies: validate files, put them into the table, list, show, enable, disable, delete');

  policies
    .command('validate')
    .description('check policy files (YAML or JSON; a directory: its .yaml/.yml/.json files) without any AWS call; exit 1 if any is invalid')
    .argument('<paths...>', 'policy files or directories')
    .action((paths: string[], _opts: unknown, cmd: Command) => validate(paths, wantsJson(cmd)));

  policies
    .command('put')
    .description('validate policy files, then write them to the policies table; nothing is written if any file is invalid')
    .argument('<paths...>', 'policy files or directories')
    .option('--dry-run', 'show what would change (new, changed fields, unchanged) and write nothing')
    .action((paths: string[], opts: { dryRun?: boolean }, cmd: Command) => put(paths, opts.dryRun === true, cmd));

  policies
    .command('list')
    .description('every policy: enabled, schedule, time zone, schedule status, next run')
    .action((_opts: unknown, cmd: Command) => list(cmd));

  policies
    .command('get')
    .description('one policy, its schedule status and its next fire times in local time and UTC')
    .argument('<policyId>')
    .action((policyId: string, _opts: unknown, cmd: Command) => get(policyId, cmd));

  for (const enabled of [true, false]) {
    policies
      .command(enabled ? 'enable' : 'disable')
      .description(enabled ? 'switch a policy on: its schedule is enabled again' : 'switch a policy off: its schedule is disabled, the policy stays')
      .argument('<policyId>')
      .action((policyId: string, _opts: unknown, cmd: Command) => setEnabled(policyId, enabled, cmd));
  }

  policies
    .command('delete')
    .description('delete a policy and so its schedule (its runs and backups stay); asks first')
    .argument('<policyId>')
    .option('-y, --yes', 'do not ask for confirmation (needed when not on a terminal)')
    .action((policyId: string, opts: { yes?: boolean }, cmd: Command) => remove(policyId, opts.yes === true, cmd));
}

function validate(paths: string[], json: boolean): void {
  const files = readPolicyFiles(paths);
  const valid = files.every((f) => f.errors.length === 0);
  if (json) {
    printJson({ valid, files: files.map((f) => ({ file: f.file, policyId: f.policyId ?? null, valid: f.errors.length === 0, errors: f.errors })) });
  } else {
    for (const f of files) {
      if (f.errors.length === 0) console.log(`ok       ${f.file} (${f.policyId})`);
      else for (const line of formatFileErrors(f)) console.log(`invalid  ${line}`);
    }
    const bad = files.filter((f) => f.errors.length).length;
    console.log(`\n${files.length - bad} of ${files.length} policy file${files.length === 1 ? '' : 's'} valid${bad ? `; ${bad} invalid` : ''}.`);
  }
  if (!valid) process.exitCode = EXIT.NOT_OK;
}

async function put(paths: string[], dryRun: boolean, cmd: Command): Promise<void> {
  const json = wantsJson(cmd);
  const files = readPolicyFiles(paths);
  const invalid = files.filter((f) => f.errors.length);
  if (invalid.length) {
    if (json) printJson({ written: false, invalid: invalid.map((f) => ({ file: f.file, errors: f.errors })) });
    else {
      for (const f of invalid) for (const line of formatFileErrors(f)) console.log(line);
      console.log(`\nNothing was written: ${invalid.length} of ${files.length} policy files are invalid.`);
    }
    process.exitCode = EXIT.NOT_OK;
    return;
  }
  const ctx = contextOf(cmd);
  const plans: { file: PolicyFile & { item: Record<string, unknown>; policyId: string }; existing?: Record<string, unknown>; diff: PolicyDiff }[] = [];
  for (const f of files as (PolicyFile & { item: Record<string, unknown>; policyId: string })[]) {
    const existing = await ctx.policies.getPolicyItem(f.policyId);
    plans.push({ file: f, existing, diff: diffPolicy(f.item, existing) });
  }
  if (!dryRun) {
    for (const p of plans) if (p.diff.change !== 'unchanged') await writePolicy(ctx, p.file.item, p.existing);
  }
  if (json) {
    printJson({
      dryRun,
      policies: plans.map((p) => ({ policyId: p.file.policyId, file: p.file.file, change: p.diff.change, written: !dryRun && p.diff.change !== 'unchanged', fields: p.diff.fields })),
    });
    return;
  }
  const verb = { new: dryRun ? 'would be created' : 'created', changed: dryRun ? 'would change' : 'updated', unchanged: 'unchanged' };
  for (const p of plans) {
    console.log(`${p.file.policyId} (${p.file.file}): ${verb[p.diff.change]}`);
    if (p.diff.change === 'changed') for (const f of p.diff.fields) console.log(`    ${formatChange(f)}`);
  }
  if (dryRun) console.log('\nDry run: nothing was written.');
  else if (plans.some((p) => p.diff.change !== 'unchanged')) {
    console.log(`\nThe schedule sync updates the schedules in a few seconds; check with ${commandHint(ctx, 'policies list')}.`);
  }
}

/**
 * Writes the policy's fields and updatedAt, and removes fields the file no longer has. The
 * attributes the system keeps (scheduleStatus above all) are left as they are; the condition
 * makes sure nobody changed the item since it was read.
 */
async function writePolicy(ctx: Context, item: Record<string, unknown>, existing: Record<string, unknown> | undefined): Promise<void> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  const fields = Object.entries({ ...item, updatedAt: ctx.now().toISOString() }).filter(([k]) => k !== 'policyId');
  fields.forEach(([k, v], i) => {
    names[`#f${i}`] = k;
    values[`:f${i}`] = v;
    sets.push(`#f${i} = :f${i}`);
  });
  Object.keys(existing ? withoutBookkeeping(existing) : {})
    .filter((k) => k !== 'policyId' && !(k in item))
    .forEach((k, i) => {
      names[`#r${i}`] = k;
      removes.push(`#r${i}`);
    });
  let condition = 'attribute_not_exists(policyId)';
  if (existing) {
    names['#updatedAt'] = 'updatedAt';
    if (typeof existing.updatedAt === 'string') {
      condition = 'attribute_exists(policyId) AND #updatedAt = :previousUpdatedAt';
      values[':previousUpdatedAt'] = existing.updatedAt;
    } else condition = 'attribute_exists(policyId) AND attribute_not_exists(#updatedAt)';
  }
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.policies,
        Key: { policyId: item.policyId },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  } catch (e: unknown) {
    if (e instanceof ConditionalCheckFailedException) {
      throw new CliError(`policy ${String(item.policyId)} changed while it was being written (someone else put it); run the command again`, EXIT.NOT_OK, { cause: e });
    }
    throw e;
  }
}

interface PolicySummary {
  policyId: string;
  enabled: boolean;
  expression?: string;
  timezone: string;
  scheduleStatus?: ScheduleStatus['state'];
  scheduleReason?: string;
  nextRun?: { utc: string; local: string };
}

async function scanPolicies(ctx: Context): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let key: Record<string, unknown> | undefined;
  do {
    const out = await ctx.db.send(new ScanCommand({ TableName: ctx.tables.policies, ExclusiveStartKey: key, ConsistentRead: true }));
    items.push(...(out.Items ?? []));
    key = out.LastEvaluatedKey;
  } while (key);
  return items.sort((a, b) => String(a.policyId).localeCompare(String(b.policyId)));
}

const NEXT_RUNS = 5;

interface NextRuns {
  times: { utc: string; local: string }[];
  /** Why there are none: the policy is disabled or invalid, or its schedule is not IN_SYNC. */
  none?: string;
}

/**
 * The policy's next fire times after `now` (the clock the workflow sees), computed from its own
 * schedule. Only for an enabled, valid policy whose schedule the sync reports IN_SYNC; otherwise
 * none, and the schedule status says why.
 *
 * A rate schedule fires at its creation + k × interval. The creation is not on the item, but
 * the fire times the sync stored are on that grid, so the first of them anchors the rate when
 * the sync saw the same expression; without one the times are approximate (anchored at the
 * Unix epoch, on :00 of the interval).
 */
function nextRuns(item: Record<string, unknown>, now: Date, count = NEXT_RUNS): NextRuns {
  const status = item.scheduleStatus as ScheduleStatus | undefined;
  if (!status) return { times: [], none: 'the schedule is not synced yet' };
  if (status.state !== 'IN_SYNC') return { times: [], none: `the schedule is ${status.state}` };
  const parsed = parsePolicy(item);
  if (!parsed.ok) return { times: [], none: 'the policy is invalid (changed since the last sync)' };
  if (!parsed.policy.enabled) return { times: [], none: 'the policy is disabled (changed since the last sync)' };
  const { expression, timezone } = parsed.policy.schedule;
  const stored = status.expression === expression ? status.nextFireTimes?.[0]?.utc : undefined;
  const anchor = scheduleExpressionKind(expression) === 'rate' && stored ? new Date(stored) : undefined;
  const times = nextFireTimes(expression, timezone, now, count, { anchor }).map((t) => ({
    utc: t.toISOString().replace('.000Z', 'Z'),
    local: formatLocal(t, timezone),
  }));
  return times.length ? { times } : { times, none: 'the schedule does not fire again' };
}

function summarize(item: Record<string, unknown>, now: Date): PolicySummary {
  const schedule = (item.schedule ?? {}) as { expression?: string; timezone?: string };
  const status = item.scheduleStatus as ScheduleStatus | undefined;
  return {
    policyId: String(item.policyId),
    enabled: item.enabled !== false,
    expression: schedule.expression,
    timezone: schedule.timezone ?? 'UTC',
    scheduleStatus: status?.state,
    scheduleReason: status?.reason,
    nextRun: nextRuns(item, now, 1).times[0],
  };
}

async function list(cmd: Command): Promise<void> {
  const ctx = contextOf(cmd);
  const now = ctx.now();
  const summaries = (await scanPolicies(ctx)).map((item) => summarize(item, now));
  if (wantsJson(cmd)) return printJson(summaries);
  if (summaries.length === 0) {
    console.log(`No policies in ${ctx.tables.policies}. Add one with ${commandHint(ctx, 'policies put <file|dir>')}.`);
    return;
  }
  console.log(
    renderTable(
      ['POLICY', 'ENABLED', 'SCHEDULE', 'TIME ZONE', 'SCHEDULE STATUS', 'NEXT RUN (LOCAL)', 'NEXT RUN (UTC)'],
      summaries.map((s) => [
        s.policyId,
        s.enabled ? 'yes' : 'no',
        s.expression,
        s.timezone,
        s.scheduleStatus ? `${s.scheduleStatus}${s.scheduleReason ? `: ${s.scheduleReason}` : ''}` : '(not synced yet)',
        s.nextRun?.local ?? '',
        s.nextRun?.utc ?? '',
      ]),
    ),
  );
}

async function getExisting(ctx: Context, policyId: string): Promise<Record<string, unknown>> {
  const item = await ctx.policies.getPolicyItem(policyId);
  if (!item) throw new NotFoundError(`no policy "${policyId}" in ${ctx.tables.policies}; list them with ${commandHint(ctx, 'policies list')}`);
  return item;
}

async function get(policyId: string, cmd: Command): Promise<void> {
  const ctx = contextOf(cmd);
  const item = await getExisting(ctx, policyId);
  const status = item.scheduleStatus as ScheduleStatus | undefined;
  const policy = inPolicyOrder(withoutBookkeeping(item));
  const next = nextRuns(item, ctx.now());
  if (wantsJson(cmd)) {
    return printJson({ policy, updatedAt: item.updatedAt ?? null, scheduleStatus: status ?? null, nextFireTimes: next.times });
  }
  process.stdout.write(stringify(policy));
  console.log('');
  if (typeof item.updatedAt === 'string') console.log(`Updated    ${utcSeconds(new Date(item.updatedAt))}`);
  if (!status) {
    console.log('Schedule   not synced yet (the schedule sync has not seen this policy)');
    return;
  }
  const schedule = status.scheduleState ? `schedule ${status.scheduleState}${status.groupName ? ` in group ${status.groupName}` : ''}` : '';
  console.log(`Schedule   ${status.state}${schedule ? `, ${schedule}` : ''}${status.reason ? `: ${status.reason}` : ''} (synced ${utcSeconds(new Date(status.syncedAt))})`);
  for (const e of status.errors ?? []) console.log(`           ${e.path ? `${e.path}: ` : ''}${e.message}`);
  if (next.times.length) {
    console.log('\nNext runs:');
    console.log(renderTable(['LOCAL', 'UTC'], next.times.map((t) => [t.local, t.utc])));
  } else if (status.state === 'IN_SYNC') console.log(`Next runs  none: ${next.none}`);
}

async function setEnabled(policyId: string, enabled: boolean, cmd: Command): Promise<void> {
  const ctx = contextOf(cmd);
  let previous: boolean;
  try {
    const out = await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.policies,
        Key: { policyId },
        UpdateExpression: 'SET #enabled = :enabled, #updatedAt = :now',
        ConditionExpression: 'attribute_exists(policyId)',
        ExpressionAttributeNames: { '#enabled': 'enabled', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':enabled': enabled, ':now': ctx.now().toISOString() },
        ReturnValues: 'ALL_OLD',
      }),
    );
    previous = out.Attributes?.enabled !== false;
  } catch (e: unknown) {
    if (e instanceof ConditionalCheckFailedException) {
      throw new NotFoundError(`no policy "${policyId}" in ${ctx.tables.policies}; list them with ${commandHint(ctx, 'policies list')}`, { cause: e });
    }
    throw e;
  }
  if (wantsJson(cmd)) return printJson({ policyId, enabled, previouslyEnabled: previous });
  const word = enabled ? 'enabled' : 'disabled';
  console.log(previous === enabled ? `${policyId} was already ${word}.` : `${policyId} ${word}: the schedule sync ${enabled ? 'enables' : 'disables'} its schedule in a few seconds.`);
}

async function remove(policyId: string, yes: boolean, cmd: Command): Promise<void> {
  const ctx = contextOf(cmd);
  await getExisting(ctx, policyId);
  if (!yes) {
    if (!process.stdin.isTTY) {
      throw new UsageError(`refusing to delete policy ${policyId} without confirmation: not on a terminal. Pass --yes to delete it.`);
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Delete policy ${policyId} from ${ctx.tables.policies}? Its schedule is deleted too; its runs and backups stay. [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError(`policy ${policyId} was not deleted`);
  }
  try {
    await ctx.db.send(new DeleteCommand({ TableName: ctx.tables.policies, Key: { policyId }, ConditionExpression: 'attribute_exists(policyId)' }));
  } catch (e: unknown) {
    if (e instanceof ConditionalCheckFailedException) throw new NotFoundError(`policy ${policyId} was deleted meanwhile`, { cause: e });
    throw e;
  }
  if (wantsJson(cmd)) return printJson({ policyId, deleted: true });
  console.log(`${policyId} deleted: the schedule sync deletes its schedule; its runs and backups stay.`);
}
