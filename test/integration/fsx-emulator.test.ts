// The FSx emulator against the unmodified @aws-sdk/client-fsx: every behaviour the backup
// scheduler relies on, asserted on the emulator's ground truth.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackupInProgress,
  BackupNotFound,
  BadRequest,
  CreateBackupCommand,
  DeleteBackupCommand,
  DescribeBackupsCommand,
  DescribeFileSystemsCommand,
  DescribeVolumesCommand,
  FileSystemNotFound,
  FSxClient,
  FSxServiceException,
  IncompatibleParameterError,
  InternalServerError,
  ListTagsForResourceCommand,
  ResourceNotFound,
  ServiceLimitExceeded,
  TagResourceCommand,
  UnsupportedOperation,
  UntagResourceCommand,
  VolumeNotFound,
  paginateDescribeBackups,
  type Backup,
} from '@aws-sdk/client-fsx';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.js';
import {
  generateFleet,
  loadFleet,
  startFsxEmulator,
  type FleetInput,
  type FsxEmulator,
} from '../../local/fsx/index.js';

const MINUTE = 60_000;
/** Total attempts per SDK call in these tests (first try + 3 retries), 5 ms apart. */
const MAX_ATTEMPTS = 4;

const WIN = 'fs-00000000000000001';
const LUSTRE = 'fs-00000000000000002';
const SCRATCH = 'fs-00000000000000003';
const ZFS = 'fs-00000000000000004';
const ONTAP = 'fs-00000000000000005';
const LINKED = 'fs-00000000000000006';
const BUSY = 'fs-00000000000000007';
const VOL = 'fsvol-00000000000000051';
const FULL_VOL = 'fsvol-00000000000000052';
const DP_VOL = 'fsvol-00000000000000053';
const AWS_BACKUP_ID = 'backup-0000000000000a001';

function testFleet(overrides: Partial<FleetInput> = {}): FleetInput {
  return {
    fileSystems: [
      { id: WIN, type: 'WINDOWS', tags: { backup: 'daily', team: 'finance' }, copyTagsToBackups: true, backup: { durationMinutes: 10, sizeBytes: 1234 } },
      { id: LUSTRE, type: 'LUSTRE', lustre: { deploymentType: 'PERSISTENT_2' }, backup: { durationMinutes: 10 } },
      { id: SCRATCH, type: 'LUSTRE', lustre: { deploymentType: 'SCRATCH_2' } },
      { id: ZFS, type: 'OPENZFS', tags: { backup: 'daily' }, backup: { durationMinutes: 10 } },
      { id: ONTAP, type: 'ONTAP' },
      { id: LINKED, type: 'LUSTRE', lustre: { deploymentType: 'PERSISTENT_1', dataRepository: true } },
      { id: BUSY, type: 'WINDOWS', busy: { durationMinutes: 20 } },
    ],
    volumes: [
      { id: VOL, fileSystemId: ONTAP, name: 'home', tags: { backup: 'daily', app: 'home' }, copyTagsToBackups: true, backup: { durationMinutes: 10 } },
      { id: FULL_VOL, fileSystemId: ONTAP, name: 'full', usedPercent: 99, backup: { durationMinutes: 10 } },
      { id: DP_VOL, fileSystemId: ONTAP, name: 'home_dr', ontapVolumeType: 'DP' },
    ],
    backups: [{ id: AWS_BACKUP_ID, resourceId: WIN, type: 'AWS_BACKUP', createdMinutesAgo: 60 }],
    ...overrides,
  };
}

let running: FsxEmulator | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function setup(fleet: FleetInput | string = testFleet()) {
  const clock = new VirtualClock('2026-12-04T00:00:00Z');
  const emulator = await startFsxEmulator({ clock, fleet });
  running = emulator;
  const fsx = new FSxClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    retryStrategy: new ConfiguredRetryStrategy(MAX_ATTEMPTS, 5),
  });
  const userBackups = (): Backup[] => emulator.backups().filter((b) => b.Type === 'USER_INITIATED');
  return { clock, emulator, fsx, userBackups };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e: unknown) {
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('CreateBackup lifecycle', () => {
  it.each([
    ['Windows file system', { FileSystemId: WIN }],
    ['OpenZFS file system', { FileSystemId: ZFS }],
    ['ONTAP volume', { VolumeId: VOL }],
  ])('a backup of a %s starts CREATING at 0% and is AVAILABLE once its simulated duration has passed', async (_, source) => {
    const { clock, fsx, userBackups } = await setup();
    const { Backup: created } = await fsx.send(new CreateBackupCommand({ ...source, ClientRequestToken: 'tok-1' }));
    expect(created).toMatchObject({ Lifecycle: 'CREATING', ProgressPercent: 0, Type: 'USER_INITIATED' });
    expect(created?.BackupId).toMatch(/^backup-[0-9a-f]{17}$/);
    expect(created?.ResourceARN).toBe(`arn:aws:fsx:us-east-1:123456789012:backup/${created?.BackupId}`);
    expect(created?.CreationTime).toEqual(clock.now());

    clock.advance(5 * MINUTE);
    expect(userBackups()).toMatchObject([{ BackupId: created?.BackupId, Lifecycle: 'CREATING', ProgressPercent: 50 }]);

    clock.advance(5 * MINUTE);
    const { Backups } = await fsx.send(new DescribeBackupsCommand({ BackupIds: [created?.BackupId ?? ''] }));
    expect(Backups).toMatchObject([{ Lifecycle: 'AVAILABLE', ProgressPercent: 100 }]);
    expect(Backups?.[0]?.SizeInBytes).toBeGreaterThan(0);
  });

  it('a Lustre backup goes PENDING, CREATING, TRANSFERRING, then AVAILABLE and records the deployment type', async () => {
    const { clock, fsx, userBackups } = await setup();
    const { Backup: created } = await fsx.send(new CreateBackupCommand({ FileSystemId: LUSTRE, ClientRequestToken: 'tok-1' }));
    expect(created).toMatchObject({ Lifecycle: 'PENDING', ProgressPercent: 0 });
    expect(created?.FileSystem?.LustreConfiguration?.DeploymentType).toBe('PERSISTENT_2');
    const seen = [];
    for (let minute = 0; minute <= 10; minute++) {
      seen.push(userBackups()[0]?.Lifecycle);
      clock.advance(MINUTE);
    }
    expect([...new Set(seen)]).toEqual(['PENDING', 'CREATING', 'TRANSFERRING', 'AVAILABLE']);
  });

  it('a backup of a volume records the volume and ResourceType VOLUME', async () => {
    const { fsx } = await setup();
    const { Backup: created } = await fsx.send(new CreateBackupCommand({ VolumeId: VOL, ClientRequestToken: 'tok-1' }));
    expect(created).toMatchObject({
      ResourceType: 'VOLUME',
      FileSystem: { FileSystemId: ONTAP, FileSystemType: 'ONTAP' },
      Volume: { VolumeId: VOL, OntapConfiguration: { OntapVolumeType: 'RW' } },
    });
  });

  it('a backup of an ONTAP volume above 98% used ends FAILED with FailureDetails', async () => {
    const { clock, fsx, userBackups } = await setup();
    await fsx.send(new CreateBackupCommand({ VolumeId: FULL_VOL, ClientRequestToken: 'tok-1' }));
    clock.advance(10 * MINUTE);
    const [backup] = userBackups();
    expect(backup?.Lifecycle).toBe('FAILED');
    expect(backup?.FailureDetails?.Message).toMatch(/98%/);
  });
});

describe('CreateBackup idempotency and concurrency', () => {
  it('a retry with the same token returns the same backup, even while it is in progress, and creates no second one', async () => {
    const { fsx, userBackups } = await setup();
    const first = await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'slot-42' }));
    const again = await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'slot-42' }));
    expect(again.Backup?.BackupId).toBe(first.Backup?.BackupId);
    expect(userBackups()).toHaveLength(1);
  });

  it('the same token with different tags is an IncompatibleParameterError naming Tags', async () => {
    const { fsx, userBackups } = await setup();
    await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'slot-42', Tags: [{ Key: 'a', Value: '1' }] }));
    const error = await rejection(
      fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'slot-42', Tags: [{ Key: 'a', Value: '2' }] })),
    );
    expect(error).toBeInstanceOf(IncompatibleParameterError);
    expect((error as IncompatibleParameterError).Parameter).toBe('Tags');
    expect(userBackups()).toHaveLength(1);
  });

  it('the same token for another file system is an IncompatibleParameterError naming FileSystemId', async () => {
    const { fsx } = await setup();
    await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'slot-42' }));
    const error = await rejection(fsx.send(new CreateBackupCommand({ FileSystemId: ZFS, ClientRequestToken: 'slot-42' })));
    expect(error).toBeInstanceOf(IncompatibleParameterError);
    expect((error as IncompatibleParameterError).Parameter).toBe('FileSystemId');
  });

  it("a second backup while one is under way is BackupInProgress with FSx's message", async () => {
    const { clock, fsx, userBackups } = await setup();
    await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'first' }));
    const error = await rejection(fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'second' })));
    expect(error).toBeInstanceOf(BackupInProgress);
    expect((error as BackupInProgress).message).toBe(
      'Another backup is already under way. Wait for completion before initiating additional backups of this file system.',
    );
    clock.advance(10 * MINUTE);
    await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'second' }));
    expect(userBackups()).toHaveLength(2);
  });

  it("a file system busy with someone else's backup refuses new backups until that one finishes", async () => {
    const { clock, fsx } = await setup();
    expect(await rejection(fsx.send(new CreateBackupCommand({ FileSystemId: BUSY, ClientRequestToken: 'a' })))).toBeInstanceOf(
      BackupInProgress,
    );
    clock.advance(20 * MINUTE);
    const { Backup: created } = await fsx.send(new CreateBackupCommand({ FileSystemId: BUSY, ClientRequestToken: 'a' }));
    expect(created?.Lifecycle).toBe('CREATING');
  });

  it('backups of two volumes of one ONTAP file system may run at the same time', async () => {
    const { fsx, userBackups } = await setup();
    await fsx.send(new CreateBackupCommand({ VolumeId: VOL, ClientRequestToken: 'a' }));
    await fsx.send(new CreateBackupCommand({ VolumeId: FULL_VOL, ClientRequestToken: 'b' }));
    expect(userBackups()).toHaveLength(2);
  });

  it('user-initiated backups beyond the quota, AWS Backup ones included, are ServiceLimitExceeded', async () => {
    // Two AWS Backup backups already exist: the fleet's old one and the busy file system's.
    const { clock, fsx, userBackups } = await setup(testFleet({ quotas: { WINDOWS: 3 } }));
    await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'a' }));
    clock.advance(10 * MINUTE);
    const error = await rejection(fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'b' })));
    expect(error).toBeInstanceOf(ServiceLimitExceeded);
    expect((error as ServiceLimitExceeded).Limit).toBe('TOTAL_USER_INITIATED_BACKUPS');
    expect(userBackups()).toHaveLength(1);
  });
});

describe('CreateBackup refusals', () => {
  it('an ONTAP file system id is UnsupportedOperation: ONTAP is backed up per volume', async () => {
    const { fsx } = await setup();
    const error = await rejection(fsx.send(new CreateBackupCommand({ FileSystemId: ONTAP, ClientRequestToken: 'a' })));
    expect(error).toBeInstanceOf(UnsupportedOperation);
    expect((error as Error).message).toBe('ONTAP file system backup is unsupported.');
  });

  it.each([
    ['a DP volume', { VolumeId: DP_VOL }, /only RW/],
    ['a scratch Lustre file system', { FileSystemId: SCRATCH }, /SCRATCH_2/],
    ['a Lustre file system linked to a data repository', { FileSystemId: LINKED }, /data repository/],
    ['an invalid ClientRequestToken', { FileSystemId: WIN, ClientRequestToken: 'has spaces' }, /ClientRequestToken/],
    ['an invalid file system id', { FileSystemId: 'fs-XYZ' }, /FileSystemId/],
    ['both a file system and a volume', { FileSystemId: WIN, VolumeId: VOL }, /either/],
    ['a tag with a forbidden character', { FileSystemId: WIN, Tags: [{ Key: 'bad*key', Value: 'x' }] }, /Key 'bad\*key'/],
    ['an empty tag list', { FileSystemId: WIN, Tags: [] }, /between 1 and 50/],
  ])('%s is a BadRequest with a precise message', async (_, input, message) => {
    const { fsx, userBackups } = await setup();
    const error = await rejection(fsx.send(new CreateBackupCommand({ ClientRequestToken: 'tok', ...input })));
    expect(error).toBeInstanceOf(BadRequest);
    expect((error as Error).message).toMatch(message);
    expect(userBackups()).toHaveLength(0);
  });

  it('a file system that is not AVAILABLE is a BadRequest', async () => {
    const { emulator, fsx } = await setup();
    emulator.setLifecycle(WIN, 'MISCONFIGURED');
    const error = await rejection(fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'a' })));
    expect(error).toBeInstanceOf(BadRequest);
    expect((error as Error).message).toMatch(/MISCONFIGURED/);
  });

  it('unknown file systems, volumes and backups raise the SDK not-found exceptions', async () => {
    const { fsx } = await setup();
    const noFs = await rejection(fsx.send(new CreateBackupCommand({ FileSystemId: 'fs-0123456789abcdef0' })));
    const noVol = await rejection(fsx.send(new CreateBackupCommand({ VolumeId: 'fsvol-0123456789abcdef0' })));
    const noBackup = await rejection(fsx.send(new DescribeBackupsCommand({ BackupIds: [AWS_BACKUP_ID, 'backup-0123456789abcdef0'] })));
    const noFsDescribed = await rejection(fsx.send(new DescribeFileSystemsCommand({ FileSystemIds: ['fs-0123456789abcdef0'] })));
    expect(noFs).toBeInstanceOf(FileSystemNotFound);
    expect(noVol).toBeInstanceOf(VolumeNotFound);
    expect(noBackup).toBeInstanceOf(BackupNotFound);
    expect(noFsDescribed).toBeInstanceOf(FileSystemNotFound);
  });
});

describe('DescribeBackups', () => {
  it('more than 50 BackupIds is a BadRequest', async () => {
    const { fsx } = await setup();
    const ids = Array.from({ length: 51 }, (_, i) => `backup-${i.toString(16).padStart(17, '0')}`);
    const error = await rejection(fsx.send(new DescribeBackupsCommand({ BackupIds: ids })));
    expect(error).toBeInstanceOf(BadRequest);
    expect((error as Error).message).toMatch(/at most 50/);
  });

  it('the SDK paginator walks every backup in pages of at most 50', async () => {
    const fleet = generateFleet({ size: 120 });
    const { fsx, emulator } = await setup(fleet);
    const targets = [...fleet.fileSystems.filter((f) => f.type !== 'ONTAP').map((f) => ({ FileSystemId: f.id })), ...fleet.volumes.map((v) => ({ VolumeId: v.id }))];
    expect(targets).toHaveLength(120);
    for (const [i, target] of targets.entries()) await fsx.send(new CreateBackupCommand({ ...target, ClientRequestToken: `t${i}` }));

    const pageSizes: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateDescribeBackups({ client: fsx }, {})) {
      pageSizes.push(page.Backups?.length ?? 0);
      ids.push(...(page.Backups ?? []).map((b) => b.BackupId ?? ''));
    }
    expect(pageSizes).toEqual([50, 50, 20]);
    expect(new Set(ids)).toEqual(new Set(emulator.backups().map((b) => b.BackupId)));

    const small: number[] = [];
    for await (const page of paginateDescribeBackups({ client: fsx, pageSize: 7 }, { Filters: [{ Name: 'file-system-type', Values: ['ONTAP'] }] })) {
      small.push(page.Backups?.length ?? 0);
      expect(page.Backups?.every((b) => b.FileSystem?.FileSystemType === 'ONTAP')).toBe(true);
    }
    expect(small.reduce((a, b) => a + b, 0)).toBe(30);
    expect(Math.max(...small)).toBe(7);
  });

  it('filters select by file system, volume and backup type', async () => {
    const { fsx } = await setup();
    await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'a' }));
    await fsx.send(new CreateBackupCommand({ VolumeId: VOL, ClientRequestToken: 'b' }));
    const byFs = await fsx.send(new DescribeBackupsCommand({ Filters: [{ Name: 'file-system-id', Values: [WIN] }] }));
    const byVolume = await fsx.send(new DescribeBackupsCommand({ Filters: [{ Name: 'volume-id', Values: [VOL] }] }));
    const awsBackup = await fsx.send(new DescribeBackupsCommand({
        Filters: [
          { Name: 'backup-type', Values: ['AWS_BACKUP'] },
          { Name: 'file-system-id', Values: [WIN, ZFS] },
        ],
      }),);
    expect(byFs.Backups).toHaveLength(2);
    expect(byVolume.Backups?.map((b) => b.Volume?.VolumeId)).toEqual([VOL]);
    expect(awsBackup.Backups?.map((b) => b.BackupId)).toEqual([AWS_BACKUP_ID]);
  });
});

describe('DeleteBackup', () => {
  it('an AWS Backup backup cannot be deleted through FSx', async () => {
    const { fsx, emulator } = await setup();
    const error = await rejection(fsx.send(new DeleteBackupCommand({ BackupId: AWS_BACKUP_ID })));
    expect(error).toBeInstanceOf(BadRequest);
    expect(emulator.backups().map((b) => b.BackupId)).toContain(AWS_BACKUP_ID);
  });

  it('a backup still being created cannot be deleted; once AVAILABLE it is deleted and disappears', async () => {
    const { clock, fsx, emulator, userBackups } = await setup();
    const { Backup: created } = await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'a' }));
    const id = created?.BackupId ?? '';
    expect(await rejection(fsx.send(new DeleteBackupCommand({ BackupId: id })))).toBeInstanceOf(BackupInProgress);
    clock.advance(10 * MINUTE);
    expect(await fsx.send(new DeleteBackupCommand({ BackupId: id, ClientRequestToken: 'del-a' }))).toMatchObject({ BackupId: id, Lifecycle: 'DELETED' });
    expect(userBackups()).toHaveLength(0);
    expect(emulator.backups({ includeDeleted: true }).find((b) => b.BackupId === id)?.Lifecycle).toBe('DELETED');
    expect(await rejection(fsx.send(new DescribeBackupsCommand({ BackupIds: [id] })))).toBeInstanceOf(BackupNotFound);
    // A retried delete with the same token answers as the first one did.
    expect(await fsx.send(new DeleteBackupCommand({ BackupId: id, ClientRequestToken: 'del-a' }))).toMatchObject({ Lifecycle: 'DELETED' });
  });
});

describe('tags', () => {
  it('with CopyTagsToBackups and no request tags, the source tags are copied; request tags replace them', async () => {
    const { clock, fsx } = await setup();
    const copied = await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'a' }));
    expect(copied.Backup?.Tags).toEqual([{ Key: 'backup', Value: 'daily' }, { Key: 'team', Value: 'finance' }]);
    clock.advance(10 * MINUTE);
    const explicit = await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'b', Tags: [{ Key: 'Name', Value: 'nightly' }] }));
    expect(explicit.Backup?.Tags).toEqual([{ Key: 'Name', Value: 'nightly' }]);
    const volume = await fsx.send(new CreateBackupCommand({ VolumeId: VOL, ClientRequestToken: 'c' }));
    expect(volume.Backup?.Tags).toEqual([{ Key: 'backup', Value: 'daily' }, { Key: 'app', Value: 'home' }]);
    const notCopied = await fsx.send(new CreateBackupCommand({ FileSystemId: ZFS, ClientRequestToken: 'd' }));
    expect(notCopied.Backup?.Tags).toBeUndefined();
  });

  it('tags are listed, added and removed by ResourceARN', async () => {
    const { fsx } = await setup();
    const [fs] = (await fsx.send(new DescribeFileSystemsCommand({ FileSystemIds: [ZFS] }))).FileSystems ?? [];
    const arn = fs?.ResourceARN ?? '';
    await fsx.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'owner', Value: 'ops' }] }));
    await fsx.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['backup'] }));
    const { Tags } = await fsx.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    expect(Tags).toEqual([{ Key: 'owner', Value: 'ops' }]);
    const missing = await rejection(fsx.send(new ListTagsForResourceCommand({ ResourceARN: arn.replace(ZFS, 'fs-0123456789abcdef0') })));
    expect(missing).toBeInstanceOf(ResourceNotFound);
  });
});

describe('DescribeFileSystems and DescribeVolumes', () => {
  it('describe the fleet, with volumes filtered by file system', async () => {
    const { fsx } = await setup();
    const { FileSystems } = await fsx.send(new DescribeFileSystemsCommand({}));
    expect(FileSystems?.map((f) => f.FileSystemType).sort()).toEqual(['LUSTRE', 'LUSTRE', 'LUSTRE', 'ONTAP', 'OPENZFS', 'WINDOWS', 'WINDOWS']);
    expect(FileSystems?.find((f) => f.FileSystemId === WIN)?.WindowsConfiguration?.CopyTagsToBackups).toBe(true);
    const { Volumes } = await fsx.send(new DescribeVolumesCommand({ Filters: [{ Name: 'file-system-id', Values: [ONTAP] }] }));
    expect(Volumes?.map((v) => [v.VolumeId, v.OntapConfiguration?.OntapVolumeType])).toEqual([
      [VOL, 'RW'],
      [FULL_VOL, 'RW'],
      [DP_VOL, 'DP'],
    ]);
    expect(await rejection(fsx.send(new DescribeVolumesCommand({ VolumeIds: ['fsvol-0123456789abcdef0'] })))).toBeInstanceOf(VolumeNotFound);
  });
});

describe('faults', () => {
  it(`the SDK retries throttled calls and succeeds when at most ${MAX_ATTEMPTS - 1} requests are throttled`, async () => {
    const { emulator, fsx } = await setup();
    emulator.faults.add({ kind: 'throttle', operation: 'DescribeBackups', count: MAX_ATTEMPTS - 1 });
    const { Backups } = await fsx.send(new DescribeBackupsCommand({}));
    expect(Backups).toHaveLength(2);
    expect(emulator.calls.DescribeBackups).toBe(MAX_ATTEMPTS);
  });

  it('the SDK gives up with ThrottlingException when every attempt is throttled', async () => {
    const { emulator, fsx, userBackups } = await setup();
    emulator.faults.add({ kind: 'throttle', count: MAX_ATTEMPTS });
    const error = await rejection(fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'a' })));
    expect(error).toBeInstanceOf(FSxServiceException);
    expect((error as Error).name).toBe('ThrottlingException');
    expect(emulator.calls.CreateBackup).toBe(MAX_ATTEMPTS);
    expect(userBackups()).toHaveLength(0);
  });

  it('an operation failing with 500 on every attempt surfaces InternalServerError', async () => {
    const { emulator, fsx } = await setup();
    emulator.faults.add({ kind: 'error500', operation: 'DescribeFileSystems' });
    expect(await rejection(fsx.send(new DescribeFileSystemsCommand({})))).toBeInstanceOf(InternalServerError);
    expect(emulator.calls.DescribeFileSystems).toBe(MAX_ATTEMPTS);
    await fsx.send(new DescribeVolumesCommand({}));
  });

  it.each(['500', 'reset'] as const)(
    'a CreateBackup whose response is lost (%s) is retried by the SDK with the same token and leaves exactly one backup',
    async (mode) => {
      const { emulator, fsx, userBackups } = await setup();
      emulator.faults.add({ kind: 'responseLost', operation: 'CreateBackup', count: 1, mode });
      const { Backup: created } = await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'slot-1' }));
      expect(emulator.calls.CreateBackup).toBe(2);
      expect(userBackups().map((b) => b.BackupId)).toEqual([created?.BackupId]);
    },
  );

  it('rate-based throttling hits a deterministic share of requests', async () => {
    const { emulator, fsx } = await setup();
    emulator.faults.add({ kind: 'throttle', operation: 'DescribeVolumes', rate: 0.3 });
    for (let i = 0; i < 10; i++) await fsx.send(new DescribeVolumesCommand({}));
    const requests = emulator.calls.DescribeVolumes ?? 0;
    expect(requests).toBeGreaterThan(10);
    expect(requests).toBeLessThan(25);
  });

  it('backupFails makes an in-progress backup end FAILED; backupNeverFinishes keeps one in progress', async () => {
    const { clock, emulator, fsx, userBackups } = await setup();
    await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'a' }));
    emulator.faults.add([
      { kind: 'backupFails', resourceId: WIN, message: 'disk on fire' },
      { kind: 'backupNeverFinishes', resourceId: ZFS },
    ]);
    await fsx.send(new CreateBackupCommand({ FileSystemId: ZFS, ClientRequestToken: 'b' }));
    clock.advance(24 * 60 * MINUTE);
    expect(userBackups().map((b) => [b.FileSystem?.FileSystemId, b.Lifecycle, b.FailureDetails?.Message])).toEqual([
      [WIN, 'FAILED', 'disk on fire'],
      [ZFS, 'CREATING', undefined],
    ]);
  });

  it('the HTTP control API adds faults and shows the ground truth', async () => {
    const { emulator, fsx } = await setup();
    const added = await fetch(`${emulator.endpoint}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'latency', ms: 1, operation: 'CreateBackup' }),
    });
    expect(added.status).toBe(200);
    const bad = await fetch(`${emulator.endpoint}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ kind: 'nonsense' }) });
    expect(bad.status).toBe(400);
    await fsx.send(new CreateBackupCommand({ FileSystemId: WIN, ClientRequestToken: 'a' }));
    const truth = (await (await fetch(`${emulator.endpoint}/_emulator/backups`)).json()) as { Backups: { Type: string; CreationTime: number }[] };
    expect(truth.Backups.map((b) => b.Type).sort()).toEqual(['AWS_BACKUP', 'AWS_BACKUP', 'USER_INITIATED']);
    expect(truth.Backups.every((b) => typeof b.CreationTime === 'number')).toBe(true);
    const calls = (await (await fetch(`${emulator.endpoint}/_emulator/calls`)).json()) as { calls: Record<string, number> };
    expect(calls.calls).toEqual({ CreateBackup: 1 });
    expect((await fetch(`${emulator.endpoint}/_emulator/faults`, { method: 'DELETE' })).status).toBe(200);
    expect(emulator.faults.list()).toEqual([]);
  });
});

describe('wire protocol', () => {
  it('an unknown operation is a 400 UnknownOperationException', async () => {
    const { emulator } = await setup();
    const res = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSSimbaAPIService_v20180301.CreateFileSystem' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await res.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

describe('fleets', () => {
  it('the demo fleet has every FSx type and its awkward cases behave as documented', async () => {
    const fleet = loadFleet(join(import.meta.dirname, '../../examples/fleets/demo.yaml'));
    expect(new Set(fleet.fileSystems.map((f) => f.type))).toEqual(new Set(['WINDOWS', 'LUSTRE', 'OPENZFS', 'ONTAP']));
    const { clock, fsx, userBackups } = await setup(fleet);
    const busy = fleet.fileSystems.find((f) => f.busy);
    const failing = fleet.fileSystems.find((f) => f.backup?.fails);
    expect(await rejection(fsx.send(new CreateBackupCommand({ FileSystemId: busy?.id, ClientRequestToken: 'a' })))).toBeInstanceOf(BackupInProgress);
    await fsx.send(new CreateBackupCommand({ FileSystemId: failing?.id, ClientRequestToken: 'b' }));
    clock.advance(60 * MINUTE);
    expect(userBackups().find((b) => b.FileSystem?.FileSystemId === failing?.id)?.Lifecycle).toBe('FAILED');
  });

  it('a malformed fleet file is rejected with every problem listed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-'));
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'fileSystems:\n  - id: fs-nothex\n    type: NETAPP\nvolumes:\n  - id: fsvol-00000000000000001\n    fileSystemId: fs-00000000000000009\n    name: v\n');
    expect(() => loadFleet(path)).toThrow(/fileSystems\[0\]\.id[\s\S]*fileSystems\[0\]\.type/);
  });

  it('generateFleet produces the requested number of tagged, healthy targets', () => {
    const fleet = generateFleet({ size: 25 });
    const targets = fleet.fileSystems.filter((f) => f.type !== 'ONTAP').length + fleet.volumes.length;
    expect(targets).toBe(25);
    expect([...fleet.fileSystems, ...fleet.volumes].every((r) => r.tags.bench === 'true')).toBe(true);
  });
});
