// The operators' CLI as operators run it: the real bin/fsx-backup.mjs in a child process, with
// --local, against a sandbox started here (the connection file points it at this sandbox).
// Where the CLI changes something, the tables and the FSx emulator are checked directly.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sandboxConnection, type Sandbox } from '../../local/sandbox.js';
import type { ScheduleStatus } from '../../functions/shared/store/policies.js';
import { backupsOf, currentSlot, policy, runPolicy, sandbox, uniquePolicyId } from './helpers.js';

const bin = fileURLToPath(new URL('../../bin/fsx-backup.mjs', import.meta.url));
const SLOW = 'fs-0c0000000000000b4';
const FAILS = 'fs-0c0000000000000b3';
const HEALTHY = 'fs-0c0000000000000a1';

let sb: Sandbox;
let dir: string;
let connectionFile: string;

/** The connection file npm start -- --serve would write, for this sandbox. */
function writeConnection(speed: number) {
  writeFileSync(connectionFile, JSON.stringify(sandboxConnection(sb, speed)));
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the binary without blocking this process, which serves the sandbox meanwhile. */
function cli(args: string[], opts: { local?: boolean; env?: Record<string, string> } = {}): Promise<CliResult> {
  const argv = [bin, ...(opts.local === false ? [] : ['--local']), ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { env: { ...process.env, FSX_BACKUP_SANDBOX: connectionFile, ...opts.env }, timeout: 45_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function policyFile(name: string, content: Record<string, unknown> | string): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : stringify(content));
  return file;
}

const itemOf = (policyId: string) => sb.scheduling.policies.getPolicyItem(policyId);

beforeAll(async () => {
  sb = await sandbox();
  dir = mkdtempSync(join(tmpdir(), 'fsx-backup-cli-'));
  connectionFile = join(dir, 'sandbox.json');
  writeConnection(0);
});
afterAll(async () => {
  await sb?.stop();
});

describe('policies validate', () => {
  it('accepts good files and exits 0, without any sandbox or AWS account', async () => {
    const good = fileURLToPath(new URL('../../examples/policies/prod-daily.yaml', import.meta.url));
    const r = await cli(['policies', 'validate', good], { local: false, env: { FSX_BACKUP_SANDBOX: join(dir, 'none.json') } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ok       ${good} (prod-daily)`);
  });

  it('reports every error of a bad file with the file, the field path and the reason, and exits 1', async () => {
    const bad = policyFile('bad.yaml', 'policyId: bad\nschedule:\n  expression: "cron(0 2 * * ? *)"\n  timezone: Europe/Berln\n  timeZone: UTC\ntargets:\n  ids: [fs-123]\n');
    const r = await cli(['policies', 'validate', bad], { local: false });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${bad}: schedule.timezone: "Europe/Berln" is not an IANA time zone`);
    expect(r.stdout).toContain(`${bad}: schedule.timeZone: unknown field "timeZone" (did you mean "timezone"?)`);
    expect(r.stdout).toContain(`${bad}: targets.ids[0]: "fs-123" is not a file system id`);

    const json = await cli(['--json', 'policies', 'validate', bad], { local: false });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, files: [{ file: bad, valid: false, errors: expect.arrayContaining([{ path: 'schedule.timezone', message: expect.stringContaining('Europe/Berln') }]) }] });
  });
});

describe('policies put', () => {
  it('with --dry-run shows new policies and changed fields, and writes nothing', async () => {
    const existing = uniquePolicyId('cli-dry');
    const fresh = uniquePolicyId('cli-dry-new');
    await sb.putPolicy(policy(existing, { targets: { ids: [HEALTHY] } }));
    const before = await itemOf(existing);
    const changed = policyFile(`${existing}.yaml`, policy(existing, { description: 'now described', schedule: { expression: 'cron(0 3 * * ? *)', timezone: 'UTC', startWindowMinutes: 60, completionWindowMinutes: 720 }, targets: { ids: [HEALTHY] } }));
    const added = policyFile(`${fresh}.yaml`, policy(fresh, { targets: { ids: [HEALTHY] } }));

    const r = await cli(['policies', 'put', '--dry-run', changed, added]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${existing} (${changed}): would change`);
    expect(r.stdout).toContain('~ schedule.expression: "cron(0 2 * * ? *)" → "cron(0 3 * * ? *)"');
    expect(r.stdout).toContain('+ description: "now described"');
    expect(r.stdout).toContain(`${fresh} (${added}): would be created`);
    expect(r.stdout).toContain('Dry run: nothing was written.');

    const json = JSON.parse((await cli(['--json', 'policies', 'put', '--dry-run', changed, added])).stdout) as { policies: { policyId: string; change: string; written: boolean }[] };
    expect(json.policies.map((p) => [p.policyId, p.change, p.written])).toEqual([
      [existing, 'changed', false],
      [fresh, 'new', false],
    ]);
    expect(await itemOf(existing)).toEqual(before);
    expect(await itemOf(fresh)).toBeUndefined();
  });

  it('refuses to write anything when one of the files is invalid', async () => {
    const id = uniquePolicyId('cli-refused');
    const good = policyFile(`${id}.yaml`, policy(id, { targets: { ids: [HEALTHY] } }));
    const bad = policyFile('bad-put.yaml', policy(uniquePolicyId('cli-bad'), { maxConcurrency: 0, targets: { ids: [HEALTHY] } }));
    const r = await cli(['policies', 'put', good, bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${bad}: maxConcurrency:`);
    expect(r.stdout).toContain('Nothing was written');
    expect(await itemOf(id)).toBeUndefined();
  });

  it('writes the policy with updatedAt, keeps the schedule status the sync wrote, and get shows both', async () => {
    const id = uniquePolicyId('cli-put');
    const content = policy(id, { description: 'put by the CLI', schedule: { expression: 'cron(0 2 * * ? *)', timezone: 'Europe/Berlin' }, targets: { ids: [HEALTHY] } });
    const file = policyFile(`${id}.yaml`, content);
    expect((await cli(['policies', 'put', file])).stdout).toContain(`${id} (${file}): created`);
    await sb.syncSchedules();

    const item = await itemOf(id);
    expect(item).toMatchObject({ ...content, updatedAt: expect.any(String), scheduleStatus: { state: 'IN_SYNC' } });

    const get = await cli(['policies', 'get', id]);
    expect(get.code).toBe(0);
    expect(get.stdout).toContain('description: put by the CLI');
    expect(get.stdout).toContain('Schedule   IN_SYNC, schedule ENABLED');
    expect(get.stdout).toContain('2026-12-05 02:00 CET  2026-12-05T01:00:00Z');
    const json = JSON.parse((await cli(['--json', 'policies', 'get', id])).stdout) as { policy: unknown; scheduleStatus: ScheduleStatus; nextFireTimes: unknown[] };
    expect(json.policy).toEqual(content);
    expect(json.scheduleStatus.state).toBe('IN_SYNC');
    expect(json.nextFireTimes[0]).toEqual({ utc: '2026-12-04T01:00:00Z', local: '2026-12-04 02:00 CET' });

    // A changed file updates the fields it changes and leaves the schedule status alone.
    const edited = policyFile(`${id}.yaml`, { ...content, description: undefined, maxConcurrency: 3 });
    const put = await cli(['policies', 'put', edited]);
    expect(put.stdout).toContain(`${id} (${edited}): updated`);
    const after = await itemOf(id);
    expect(after).toMatchObject({ maxConcurrency: 3, scheduleStatus: item?.scheduleStatus });
    expect(after).not.toHaveProperty('description');
  });
});

describe('policies list, enable, disable, delete', () => {
  it('lists each policy with its schedule, zone, schedule status and next run, as a table and as JSON', async () => {
    const id = uniquePolicyId('cli-list');
    await sb.putPolicy(policy(id, { schedule: { expression: 'cron(30 19 ? * MON-FRI *)', timezone: 'America/New_York' }, targets: { ids: [HEALTHY] } }));
    await sb.syncSchedules();
    const [table, json] = await Promise.all([cli(['policies', 'list']), cli(['--json', 'policies', 'list'])]);
    expect(table.stdout).toMatch(/POLICY\s+ENABLED\s+SCHEDULE\s+TIME ZONE\s+SCHEDULE STATUS\s+NEXT RUN \(LOCAL\)\s+NEXT RUN \(UTC\)/);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+yes\\s+cron\\(30 19 \\? \\* MON-FRI \\*\\)\\s+America/New_York\\s+IN_SYNC\\s+2026-12-03 19:30 EST\\s+2026-12-04T00:30:00Z`));
    expect((JSON.parse(json.stdout) as { policyId: string }[]).find((p) => p.policyId === id)).toEqual({
      policyId: id,
      enabled: true,
      expression: 'cron(30 19 ? * MON-FRI *)',
      timezone: 'America/New_York',
      scheduleStatus: 'IN_SYNC',
      nextRun: { utc: '2026-12-04T00:30:00Z', local: '2026-12-03 19:30 EST' },
    });
  });

  it('disable and enable switch the enabled flag of the item and stamp updatedAt', async () => {
    const id = uniquePolicyId('cli-toggle');
    await sb.putPolicy(policy(id, { targets: { ids: [HEALTHY] } }));
    const off = await cli(['policies', 'disable', id]);
    expect(off.code).toBe(0);
    expect(await itemOf(id)).toMatchObject({ enabled: false, updatedAt: expect.any(String) });
    const on = await cli(['--json', 'policies', 'enable', id]);
    expect(JSON.parse(on.stdout)).toEqual({ policyId: id, enabled: true, previouslyEnabled: false });
    expect((await itemOf(id))?.enabled).toBe(true);
  });

  it('delete refuses without --yes when not on a terminal (exit 2) and deletes with --yes', async () => {
    const id = uniquePolicyId('cli-delete');
    await sb.putPolicy(policy(id, { targets: { ids: [HEALTHY] } }));
    const refused = await cli(['policies', 'delete', id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Pass --yes');
    expect(await itemOf(id)).toBeDefined();

    const deleted = await cli(['policies', 'delete', id, '--yes']);
    expect(deleted.code).toBe(0);
    expect(await itemOf(id)).toBeUndefined();
  });

  it('an unknown policy is not found: get, enable, delete, run and runs show exit 3', async () => {
    const results = await Promise.all([
      cli(['policies', 'get', 'no-such-policy']),
      cli(['policies', 'enable', 'no-such-policy']),
      cli(['policies', 'delete', 'no-such-policy', '--yes']),
      cli(['run', 'no-such-policy']),
      cli(['runs', 'show', 'no-such-policy', '2026-12-04T01:00:00Z']),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(3);
    expect(results[0]?.stderr).toContain('no policy "no-such-policy" in fsx-backup-local-policies');
    expect(sb.stepFunctions.executions().some((e) => e.name.startsWith('no-such-policy'))).toBe(false);
  });

  it('a bad flag or a missing argument is a usage error (exit 2)', async () => {
    const [flag, arg] = await Promise.all([cli(['runs', 'list', '--status', 'BROKEN']), cli(['backups', 'list'])]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('Allowed choices are RUNNING, SUCCEEDED, PARTIAL');
    expect(arg.code).toBe(2);
    expect(arg.stderr).toContain("required option '--policy <policyId>' not specified");
  });

  it('a malformed --since or slot is a usage error (exit 2) even where no sandbox runs or no AWS account is reachable', async () => {
    const absent = { env: { FSX_BACKUP_SANDBOX: join(dir, 'absent.json') } };
    const results = await Promise.all([
      cli(['runs', 'list', '--since', 'yesterday'], absent),
      cli(['runs', 'show', 'p', 'notatime'], absent),
      cli(['runs', 'show', 'p', '2026-12-04T01:00'], absent),
      cli(['runs', 'list', '--since', 'yesterday'], { local: false, env: { AWS_REGION: 'us-east-1' } }),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(2);
    expect(results[0]?.stderr).toContain('"yesterday" is neither a duration (90m, 24h, 7d, 2w) nor an ISO 8601 time');
    expect(results[1]?.stderr).toContain('"notatime" has no time zone');
    expect(results[2]?.stderr).toContain('"2026-12-04T01:00" has no time zone');
    for (const r of results) expect(r.stderr).not.toContain('npm start -- --serve');
  });

  it('--local without a running sandbox exits 4 and says how to start one', async () => {
    const r = await cli(['policies', 'list'], { env: { FSX_BACKUP_SANDBOX: join(dir, 'absent.json') } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('start it with npm start -- --serve');
    expect(r.stdout).toBe('');
  });
});

describe('runs and backups', () => {
  let id: string;
  let slot: string;
  beforeAll(async () => {
    id = uniquePolicyId('cli-history');
    ({ slot } = await runPolicy(sb, policy(id, { targets: { ids: [HEALTHY, FAILS] } })));
  });

  it('runs list shows the runs newest first, by policy, by status or across all, as a table and as JSON', async () => {
    const [byPolicy, byStatus, all, json] = await Promise.all([
      cli(['runs', 'list', '--policy', id]),
      cli(['runs', 'list', '--status', 'PARTIAL', '--since', '2026-12-01']),
      cli(['runs', 'list', '--since', '7d']),
      cli(['--json', 'runs', 'list', '--policy', id]),
    ]);
    const row = new RegExp(`${id}\\s+2026-12-04 00:00Z\\s+schedule\\s+PARTIAL\\s+2\\s+1\\s+1\\s+0\\s+0`);
    expect(byPolicy.stdout).toMatch(row);
    expect(byStatus.stdout).toMatch(row);
    expect(all.stdout).toMatch(row);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ policyId: id, scheduledTime: slot, status: 'PARTIAL', targetCount: 2 })]);
    expect(JSON.parse(json.stdout)[0]).not.toHaveProperty('pk');
  });

  it('runs show prints the run and every target with its backup, lifecycle and the FSx reason of the failure', async () => {
    const [table, json] = await Promise.all([cli(['runs', 'show', id, slot]), cli(['--json', 'runs', 'show', id, slot])]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Status\s+PARTIAL/);
    expect(table.stdout).toMatch(/Targets\s+2 \(1 SUCCEEDED, 1 FAILED\)/);
    expect(table.stdout).toMatch(new RegExp(`${HEALTHY}\\s+WINDOWS\\s+SUCCEEDED\\s+backup-\\w+\\s+AVAILABLE`));
    expect(table.stdout).toMatch(new RegExp(`${FAILS}\\s+WINDOWS\\s+FAILED\\s+backup-\\w+\\s+FAILED.*Backup failed: the file system is being updated\\.`));
    const shown = JSON.parse(json.stdout) as { run: { status: string }; targets: { targetId: string; status: string; reason?: string }[] };
    expect(shown.run.status).toBe('PARTIAL');
    expect(shown.targets.map((t) => [t.targetId, t.status])).toEqual([
      [HEALTHY, 'SUCCEEDED'],
      [FAILS, 'FAILED'],
    ]);

    const missing = await cli(['runs', 'show', id, '2020-01-01T00:00:00Z']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`no run of ${id} at 2020-01-01T00:00:00Z`);
  });

  it('backups list shows the backups the policy made, as FSx has them', async () => {
    const [table, json] = await Promise.all([cli(['backups', 'list', '--policy', id]), cli(['--json', 'backups', 'list', '--policy', id])]);
    const inFsx = backupsOf(sb, id);
    expect(inFsx).toHaveLength(2);
    for (const b of inFsx) expect(table.stdout).toContain(b.BackupId);
    expect(table.stdout).toMatch(new RegExp(`${HEALTHY}\\s+WINDOWS\\s+2026-12-04 00:00Z\\s+AVAILABLE`));
    const rows = JSON.parse(json.stdout) as { backupId: string; target: string; slot: string; lifecycle: string }[];
    expect(rows.map((r) => r.backupId).sort()).toEqual(inFsx.map((b) => b.BackupId).sort());
    expect(rows.find((r) => r.target === FAILS)).toMatchObject({ slot, lifecycle: 'FAILED' });
  });
});

describe('run', () => {
  it('--wait follows a manual run live, prints each target\'s final status and FSx reason, and exits 1 when the run is PARTIAL', async () => {
    const id = uniquePolicyId('cli-run');
    await sb.putPolicy(policy(id, { schedule: { expression: 'cron(0 2 * * ? *)', timezone: 'UTC', startWindowMinutes: 60, completionWindowMinutes: 120 }, targets: { ids: [SLOW, FAILS, HEALTHY] } }));
    // Simulated time flows while the child follows the run: 1,500 simulated seconds a second.
    sb.clock.pace(1500);
    writeConnection(1500);
    let r: CliResult;
    try {
      r = await cli(['run', id, '--wait']);
    } finally {
      sb.clock.stopPacing();
    }
    expect(r.code, r.stderr).toBe(1);
    const arn = /execution\s+(\S+)/.exec(r.stdout)?.[1];
    expect(arn).toMatch(new RegExp(`:execution:${sb.stateMachineArn.split(':').pop()}:${id}-manual-\\d{8}T\\d{4}$`));
    const slot = /slot\s+(\S+)/.exec(r.stdout)?.[1] ?? '';

    // Progress lines while it ran, then the summary with each target's final status and reason.
    expect(r.stdout).toMatch(new RegExp(`${SLOW}\\s+WINDOWS\\s+IN_PROGRESS\\s+CREATING`));
    expect(r.stdout).toMatch(/Status\s+PARTIAL/);
    expect(r.stdout).toMatch(new RegExp(`${HEALTHY}\\s+WINDOWS\\s+SUCCEEDED\\s+backup-\\w+\\s+AVAILABLE`));
    expect(r.stdout).toMatch(new RegExp(`${FAILS}\\s+WINDOWS\\s+FAILED\\s+.*Backup failed: the file system is being updated\\.`));
    expect(r.stdout).toMatch(new RegExp(`${SLOW}\\s+WINDOWS\\s+TIMED_OUT\\s+backup-\\w+\\s+CREATING.*still CREATING at \\d+% when the 120-minute completion window ended`));

    const run = await sb.runner.deps.runs.getRun(id, slot);
    expect(run).toMatchObject({ status: 'PARTIAL', trigger: 'manual', executionId: arn, counts: { SUCCEEDED: 1, FAILED: 1, TIMED_OUT: 1 } });
    expect(backupsOf(sb, id).map((b) => b.FileSystem?.FileSystemId).sort()).toEqual([HEALTHY, SLOW, FAILS].sort());
  });

  it('takes the slot from the minute it reads once and puts it in the input, so a second run in that minute is the same execution', async () => {
    const id = uniquePolicyId('cli-run-slot');
    await sb.putPolicy(policy(id, { targets: { ids: [HEALTHY] } }));
    writeConnection(0);
    const slot = currentSlot(sb);
    const first = await cli(['--json', 'run', id]);
    const second = await cli(['--json', 'run', id]);
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as { executionArn: string; name: string; scheduledTime: string };
    const b = JSON.parse(second.stdout) as { executionArn: string; scheduledTime: string };
    expect(a).toMatchObject({ scheduledTime: slot, name: `${id}-manual-${slot.slice(0, 16).replace(/[-:]/g, '')}` });
    expect(b.executionArn).toBe(a.executionArn);
    expect(b.scheduledTime).toBe(slot);

    const executions = sb.stepFunctions.executions().filter((e) => e.name.startsWith(`${id}-`));
    expect(executions).toHaveLength(1);
    expect(JSON.parse(executions[0]?.input ?? '{}')).toEqual({ policyId: id, scheduledTime: slot, trigger: 'manual' });
    await executions[0]?.done;
    expect(await sb.runner.deps.runs.getRun(id, slot)).toMatchObject({ trigger: 'manual', executionId: a.executionArn, status: 'SUCCEEDED' });
  });
});

describe('next runs', () => {
  it('are computed after the sandbox\'s current time from the policy\'s schedule, not only from the times stored at the last sync', async () => {
    const id = uniquePolicyId('cli-hourly');
    const off = uniquePolicyId('cli-hourly-off');
    for (const p of [id, off]) await sb.putPolicy(policy(p, { schedule: { expression: 'rate(1 hour)', timezone: 'Europe/Berlin' }, targets: { ids: [HEALTHY] } }));
    await sb.syncSchedules();
    const stored = ((await itemOf(id))?.scheduleStatus as ScheduleStatus).nextFireTimes ?? [];
    expect(stored).toHaveLength(5);
    // Disabled after the sync, which has not run again: its status still says IN_SYNC.
    expect((await cli(['policies', 'disable', off])).code).toBe(0);

    // Past every stored time, with no sync since.
    sb.clock.advance(7.5 * 3_600_000);
    writeConnection(0);
    const now = sb.clock.now().getTime();
    const [get, list, table] = await Promise.all([cli(['--json', 'policies', 'get', id]), cli(['--json', 'policies', 'list']), cli(['policies', 'get', id])]);
    const next = (JSON.parse(get.stdout) as { nextFireTimes: { utc: string; local: string }[] }).nextFireTimes;
    expect(next).toHaveLength(5);
    const first = Date.parse(next[0]?.utc ?? '');
    expect(first).toBeGreaterThan(now);
    expect(first - now).toBeLessThanOrEqual(3_600_000);
    // On the schedule's hourly grid, which the stored times are on.
    for (const t of next) expect((Date.parse(t.utc) - Date.parse(stored[0]?.utc ?? '')) % 3_600_000, t.utc).toBe(0);
    expect(next[1]?.utc).toBe(new Date(first + 3_600_000).toISOString().replace('.000Z', 'Z'));
    expect(table.stdout).toContain(`${next[0]?.local}  ${next[0]?.utc}`);

    const rows = JSON.parse(list.stdout) as { policyId: string; nextRun?: unknown }[];
    expect(rows.find((r) => r.policyId === id)?.nextRun).toEqual(next[0]);
    expect(rows.find((r) => r.policyId === off)).not.toHaveProperty('nextRun');
  });
});
