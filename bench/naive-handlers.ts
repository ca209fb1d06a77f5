// Benchmark only: the three small Lambdas of the naive design (bench/naive.asl.json), talking to
// the same FSx emulator through the real SDK client.
//
// Virtual time: the shared clock moves only when every actor is asleep. The runner registers
// the execution as one actor, but inside the inline Map up to 40 iterations run at once, each
// with its own Wait. So the execution hands over to its iterations: listing the targets parks
// the execution's actor, each iteration is an actor from its CreateBackup until its backup is
// terminal, and the benchmark gives the parked actor back after the execution (`unpark`).
import { CreateBackupCommand, DescribeBackupsCommand, DescribeFileSystemsCommand, DescribeVolumesCommand, type FSxClient } from '@aws-sdk/client-fsx';
import { deriveBackupToken } from '../functions/shared/domain/tokens.js';
import type { VirtualClock } from '../local/clock.js';
import type { TaskHandler } from '../local/runner.js';

export interface NaiveHandlers {
  handlers: Record<string, TaskHandler>;
  /** Re-registers the execution actors parked by "List targets"; call after each execution. */
  unpark(): void;
}

interface IterationInput {
  targetId: string;
  policyId: string;
  scheduledTime: string;
  backup?: { backupId: string; lifecycle: string };
}

const TERMINAL = new Set(['AVAILABLE', 'FAILED', 'DELETED']);

export function createNaiveHandlers(opts: { fsx: FSxClient; clock: VirtualClock; tags: Record<string, string> }): NaiveHandlers {
  const { fsx, clock, tags } = opts;
  let parked = 0;
  const tagged = (resourceTags: { Key?: string; Value?: string }[] | undefined) =>
    Object.entries(tags).every(([k, v]) => resourceTags?.some((t) => t.Key === k && t.Value === v));

  const naiveListTargets: TaskHandler = async () => {
    const ids: string[] = [];
    let hasOntap = false;
    let token: string | undefined;
    do {
      const page = await fsx.send(new DescribeFileSystemsCommand({ NextToken: token }));
      for (const f of page.FileSystems ?? []) {
        if (f.FileSystemType === 'ONTAP') hasOntap = true;
        else if (tagged(f.Tags)) ids.push(f.FileSystemId as string);
      }
      token = page.NextToken;
    } while (token);
    if (hasOntap) {
      do {
        const page = await fsx.send(new DescribeVolumesCommand({ NextToken: token }));
        for (const v of page.Volumes ?? []) if (tagged(v.Tags)) ids.push(v.VolumeId as string);
        token = page.NextToken;
      } while (token);
    }
    clock.leave();
    parked++;
    return ids;
  };

  const naiveCreateBackup: TaskHandler = async (event) => {
    const { targetId, policyId, scheduledTime } = event as IterationInput;
    clock.enter();
    try {
      const out = await fsx.send(
        new CreateBackupCommand({
          ClientRequestToken: deriveBackupToken({ policyId, targetId, scheduledTime }),
          ...(targetId.startsWith('fsvol-') ? { VolumeId: targetId } : { FileSystemId: targetId }),
        }),
      );
      return { backupId: out.Backup?.BackupId as string, lifecycle: out.Backup?.Lifecycle as string };
    } catch (e) {
      clock.leave();
      throw e;
    }
  };

  const naiveDescribeBackup: TaskHandler = async (event) => {
    const { backup } = event as IterationInput;
    const out = await fsx.send(new DescribeBackupsCommand({ BackupIds: [backup?.backupId as string] }));
    const lifecycle = out.Backups?.[0]?.Lifecycle ?? 'DELETED';
    // The iteration ends after this task (Choice, then Succeed): it no longer holds time back.
    if (TERMINAL.has(lifecycle)) clock.leave();
    return { backupId: backup?.backupId as string, lifecycle };
  };

  return {
    handlers: { naiveListTargets, naiveCreateBackup, naiveDescribeBackup },
    unpark: () => {
      for (; parked > 0; parked--) clock.enter();
    },
  };
}
