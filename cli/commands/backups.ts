// `fsx-backup backups list --policy ID`: the backups a policy made, as FSx has them, found by the
// tags every backup of fsx-backup carries (policy, slot, target, and the stack that made it).
import { paginateDescribeBackups, type Backup } from '@aws-sdk/client-fsx';
import type { Command } from 'commander';
import { TAG_MANAGED_BY, TAG_POLICY, TAG_SLOT, TAG_TARGET } from '../../functions/shared/domain/tokens.js';
import { printJson, utc } from '../format.js';
import { contextOf, wantsJson } from '../kit.js';
import { renderTable } from '../table.js';

export function registerBackups(program: Command): void {
  const backups = program.command('backups').description('backups in FSx made by fsx-backup');
  backups
    .command('list')
    .description(`backups a policy made (FSx DescribeBackups, by the ${TAG_POLICY} tag and this stage's ${TAG_MANAGED_BY} tag), newest slot first`)
    .requiredOption('--policy <policyId>', 'the policy')
    .action((opts: { policy: string }, cmd: Command) => list(opts.policy, cmd));
}

interface BackupRow {
  backupId: string;
  target?: string;
  slot?: string;
  lifecycle?: string;
  progressPercent?: number;
  created?: string;
  sizeInBytes?: number;
  type?: string;
  failure?: string;
}

async function list(policyId: string, cmd: Command): Promise<void> {
  const ctx = contextOf(cmd);
  const rows: BackupRow[] = [];
  for await (const page of paginateDescribeBackups({ client: ctx.fsx }, { MaxResults: 100 })) {
    for (const b of page.Backups ?? []) {
      if (tag(b, TAG_POLICY) !== policyId || tag(b, TAG_MANAGED_BY) !== ctx.stackName) continue;
      rows.push({
        backupId: b.BackupId ?? '',
        target: tag(b, TAG_TARGET) ?? b.Volume?.VolumeId ?? b.FileSystem?.FileSystemId,
        slot: tag(b, TAG_SLOT),
        lifecycle: b.Lifecycle,
        progressPercent: b.ProgressPercent,
        created: b.CreationTime?.toISOString(),
        sizeInBytes: b.SizeInBytes,
        type: b.FileSystem?.FileSystemType,
        failure: b.FailureDetails?.Message,
      });
    }
  }
  rows.sort((a, b) => (b.slot ?? '').localeCompare(a.slot ?? '') || (a.target ?? '').localeCompare(b.target ?? ''));
  if (wantsJson(cmd)) return printJson(rows);
  if (rows.length === 0) {
    console.log(`No backups of policy ${policyId} made by ${ctx.stackName}.`);
    return;
  }
  console.log(
    renderTable(
      ['BACKUP', 'TARGET', 'TYPE', 'SLOT (UTC)', 'LIFECYCLE', 'CREATED (UTC)', 'SIZE', 'FAILURE'],
      rows.map((r) => [
        r.backupId,
        r.target,
        r.type,
        utc(r.slot),
        r.lifecycle === 'CREATING' && r.progressPercent !== undefined ? `CREATING ${r.progressPercent}%` : r.lifecycle,
        utc(r.created),
        formatBytes(r.sizeInBytes),
        r.failure ?? '',
      ]),
    ),
  );
}

function tag(b: Backup, key: string): string | undefined {
  return b.Tags?.find((t) => t.Key === key)?.Value;
}

function formatBytes(n: number | undefined): string {
  if (n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
