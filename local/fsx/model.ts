// The emulator's state and FSx semantics: file systems, ONTAP volumes, backups whose lifecycle is
// a pure function of the shared clock, token idempotency, busy checks and quotas.
import type {
  Backup,
  CreateBackupResponse,
  DeleteBackupResponse,
  DescribeBackupsResponse,
  DescribeFileSystemsResponse,
  DescribeVolumesResponse,
  FileSystem,
  ListTagsForResourceResponse,
  Tag,
  Volume,
} from '@aws-sdk/client-fsx';
import type { Clock } from '../../functions/shared/clock.js';
import {
  badRequest,
  backupInProgress,
  backupNotFound,
  FsxServiceError,
  fileSystemNotFound,
  incompatibleParameter,
  resourceNotFound,
  serviceLimitExceeded,
  unsupportedOperation,
  volumeNotFound,
} from './errors.js';
import {
  BACKUP_ID,
  DEFAULT_BUSY_DURATION_MINUTES,
  DEFAULT_QUOTAS,
  FILE_SYSTEM_ID,
  VOLUME_ID,
  type BackupBehaviour,
  type Fleet,
  type FleetFileSystem,
  type FleetVolume,
  type FsxType,
} from './fleet.js';
import { seededRandom } from './random.js';
import {
  CLIENT_REQUEST_TOKEN,
  checkTagKey,
  optString,
  optStringList,
  optTags,
  paginate,
  reqString,
  type Input,
} from './validate.js';

const MINUTE = 60_000;
const IN_PROGRESS = new Set(['PENDING', 'CREATING', 'TRANSFERRING']);
const GIB = 2 ** 30;
const MIB = 2 ** 20;

type BackupType = 'USER_INITIATED' | 'AWS_BACKUP' | 'AUTOMATIC';

interface FileSystemState {
  spec: FleetFileSystem;
  lifecycle: FleetFileSystem['lifecycle'];
  tags: Tag[];
  creationMs: number;
}

interface VolumeState {
  spec: FleetVolume;
  lifecycle: FleetVolume['lifecycle'];
  tags: Tag[];
  creationMs: number;
}

interface BackupRecord {
  id: string;
  type: BackupType;
  fileSystemId: string;
  volumeId?: string;
  fsType: FsxType;
  creationMs: number;
  durationMs: number;
  /** Fate, decided at creation; faults may change it while the backup is still in progress. */
  failMessage?: string;
  neverFinishes: boolean;
  /** Lustre user-initiated backups pass through PENDING and TRANSFERRING. */
  staged: boolean;
  tags: Tag[];
  /** What the CreateBackup request carried, for the idempotency comparison. */
  token?: string;
  requestTags?: Tag[];
  /** Metadata kept even if the source changes or disappears. */
  fileSystem: FileSystem;
  volume?: Volume;
  sizeBytes: number;
  deletedMs?: number;
}

interface BackupFault {
  failMessage?: string;
  neverFinishes?: boolean;
}

export interface BackupsQuery {
  /** Include backups deleted through DeleteBackup (Lifecycle DELETED). */
  includeDeleted?: boolean;
}

export class FsxModel {
  private fleet!: Fleet;
  private fileSystems = new Map<string, FileSystemState>();
  private volumes = new Map<string, VolumeState>();
  private live = new Map<string, BackupRecord>();
  private deleted: BackupRecord[] = [];
  private createTokens = new Map<string, string>();
  private deleteTokens = new Map<string, string>();
  private backupFaults = new Map<string, BackupFault>();
  private random: () => number = Math.random;

  constructor(
    private readonly clock: Clock,
    fleet: Fleet,
  ) {
    this.reset(fleet);
  }

  get region(): string {
    return this.fleet.region;
  }

  /** Back to the fleet's initial state; pre-existing backups are dated relative to now. */
  reset(fleet: Fleet = this.fleet): void {
    this.fleet = fleet;
    this.random = seededRandom(fleet.seed);
    this.fileSystems.clear();
    this.volumes.clear();
    this.live.clear();
    this.deleted = [];
    this.createTokens.clear();
    this.deleteTokens.clear();
    this.backupFaults.clear();
    const now = this.nowMs();
    const longAgo = now - 30 * 24 * 60 * MINUTE;
    for (const spec of fleet.fileSystems) {
      this.fileSystems.set(spec.id, { spec, lifecycle: spec.lifecycle, tags: toTags(spec.tags), creationMs: longAgo });
    }
    for (const spec of fleet.volumes) {
      this.volumes.set(spec.id, { spec, lifecycle: spec.lifecycle, tags: toTags(spec.tags), creationMs: longAgo });
    }
    for (const b of fleet.backups) {
      const source = this.sourceOf(b.resourceId);
      this.addRecord(source, {
        id: b.id,
        type: b.type,
        creationMs: now - b.createdMinutesAgo * MINUTE,
        durationMs: (b.durationMinutes ?? fleet.defaults.backupDurationMinutes) * MINUTE,
        failMessage: b.fails,
        neverFinishes: false,
        tags: toTags(b.tags),
      });
    }
    // A busy resource: someone else's backup (an AWS Backup job) started just now.
    const busySources = [...fleet.fileSystems, ...fleet.volumes].filter((r) => r.busy);
    for (const r of busySources) {
      const minutes = typeof r.busy === 'object' ? r.busy.durationMinutes : DEFAULT_BUSY_DURATION_MINUTES;
      this.addRecord(this.sourceOf(r.id), {
        type: 'AWS_BACKUP',
        creationMs: now,
        durationMs: minutes * MINUTE,
        neverFinishes: false,
        tags: [],
      });
    }
  }

  // ---------------------------------------------------------------- operations

  createBackup(input: Input): CreateBackupResponse {
    const fileSystemId = optString(input, 'FileSystemId', FILE_SYSTEM_ID);
    const volumeId = optString(input, 'VolumeId', VOLUME_ID);
    const token = optString(input, 'ClientRequestToken', CLIENT_REQUEST_TOKEN);
    const requestTags = optTags(input);
    if (fileSystemId !== undefined && volumeId !== undefined) {
      throw badRequest('Specify either FileSystemId or VolumeId, not both.');
    }
    if (fileSystemId === undefined && volumeId === undefined) {
      throw badRequest('Either FileSystemId or VolumeId is required.');
    }
    const now = this.nowMs();

    // Idempotency comes first: a retry must get its backup back even while the source is busy.
    if (token !== undefined) {
      const existing = this.live.get(this.createTokens.get(token) ?? '');
      if (existing) {
        if (existing.volumeId !== volumeId || (volumeId === undefined && existing.fileSystemId !== fileSystemId)) {
          const parameter = volumeId !== undefined || existing.volumeId !== undefined ? 'VolumeId' : 'FileSystemId';
          throw incompatibleParameter(
            parameter,
            `The ClientRequestToken '${token}' was already used to back up ${existing.volumeId ?? existing.fileSystemId}; ` +
              `a request with the same token must have the same ${parameter}.`,
          );
        }
        if (!sameTags(existing.requestTags, requestTags)) {
          throw incompatibleParameter(
            'Tags',
            `The ClientRequestToken '${token}' was already used with different Tags.`,
          );
        }
        return { Backup: this.describe(existing, now) };
      }
    }

    const source = volumeId !== undefined ? this.eligibleVolume(volumeId) : this.eligibleFileSystem(fileSystemId ?? '');

    // One backup at a time per file system; per volume for ONTAP (unverified).
    const busy = [...this.live.values()].some(
      (r) => r.fileSystemId === source.fileSystemId && r.volumeId === source.volumeId && IN_PROGRESS.has(this.lifecycleOf(r, now)),
    );
    if (busy) throw backupInProgress();

    const limit = this.fleet.quotas[source.fsType] ?? DEFAULT_QUOTAS[source.fsType];
    const used = [...this.live.values()].filter(
      (r) => r.fsType === source.fsType && (r.type === 'USER_INITIATED' || r.type === 'AWS_BACKUP'),
    ).length;
    if (used >= limit) {
      throw serviceLimitExceeded(
        'TOTAL_USER_INITIATED_BACKUPS',
        `You have reached the limit of ${limit} user-initiated backups for ${source.fsType} file systems in this account and Region.`,
      );
    }

    const behaviour = source.behaviour;
    const fault = this.backupFaults.get(source.resourceId);
    const copied = source.copyTagsToBackups ? source.tags : [];
    const record = this.addRecord(source, {
      type: 'USER_INITIATED',
      creationMs: now,
      durationMs: (behaviour?.durationMinutes ?? this.fleet.defaults.backupDurationMinutes) * MINUTE,
      failMessage: fault?.failMessage ?? behaviour?.fails ?? source.inherentFailure,
      neverFinishes: fault?.neverFinishes === true || behaviour?.never === true,
      tags: requestTags ?? copied.map((t) => ({ ...t })),
      token,
      requestTags,
    });
    return { Backup: this.describe(record, now) };
  }

  describeBackups(input: Input): DescribeBackupsResponse {
    const ids = optStringList(input, 'BackupIds', 50, BACKUP_ID);
    const now = this.nowMs();
    let selected: BackupRecord[];
    if (ids !== undefined) {
      // Ids override filters; one unknown id fails the whole call.
      selected = ids.map((id) => {
        const r = this.live.get(id);
        if (!r) throw backupNotFound(id);
        return r;
      });
      selected = [...new Map(selected.map((r) => [r.id, r])).values()];
    } else {
      const filters = parseFilters(input, BACKUP_FILTERS);
      selected = [...this.live.values()].filter((r) =>
        filters.every(({ name, values }) => values.includes(this.backupFilterValue(r, name))),
      );
    }
    selected.sort(byCreation);
    const { page, nextToken } = paginate(selected, creationKey, input);
    return { Backups: page.map((r) => this.describe(r, now)), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  deleteBackup(input: Input): DeleteBackupResponse {
    const id = reqString(input, 'BackupId', BACKUP_ID);
    const token = optString(input, 'ClientRequestToken', CLIENT_REQUEST_TOKEN);
    if (token !== undefined) {
      const deletedId = this.deleteTokens.get(token);
      if (deletedId === id) return { BackupId: id, Lifecycle: 'DELETED' };
      if (deletedId !== undefined) {
        throw incompatibleParameter('BackupId', `The ClientRequestToken '${token}' was already used to delete ${deletedId}.`);
      }
    }
    const record = this.live.get(id);
    if (!record) throw backupNotFound(id);
    if (record.type === 'AWS_BACKUP') {
      throw badRequest(`Backup '${id}' was created by AWS Backup and cannot be deleted through the Amazon FSx API.`);
    }
    const now = this.nowMs();
    if (IN_PROGRESS.has(this.lifecycleOf(record, now))) {
      throw new FsxServiceError('BackupInProgress', `Backup '${id}' is still being created; it cannot be deleted until it completes.`);
    }
    record.deletedMs = now;
    this.live.delete(id);
    this.deleted.push(record);
    if (record.token !== undefined) this.createTokens.delete(record.token);
    if (token !== undefined) this.deleteTokens.set(token, id);
    return { BackupId: id, Lifecycle: 'DELETED' };
  }

  describeFileSystems(input: Input): DescribeFileSystemsResponse {
    const ids = optStringList(input, 'FileSystemIds', 50, FILE_SYSTEM_ID);
    const selected =
      ids === undefined
        ? [...this.fileSystems.values()]
        : [...new Set(ids)].map((id) => this.fileSystems.get(id) ?? throwing(fileSystemNotFound(id)));
    selected.sort((a, b) => compare(a.spec.id, b.spec.id));
    const { page, nextToken } = paginate(selected, (fs) => fs.spec.id, input);
    return { FileSystems: page.map((fs) => this.describeFileSystem(fs)), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  describeVolumes(input: Input): DescribeVolumesResponse {
    const ids = optStringList(input, 'VolumeIds', 50, VOLUME_ID);
    let selected: VolumeState[];
    if (ids !== undefined) {
      selected = [...new Set(ids)].map((id) => this.volumes.get(id) ?? throwing(volumeNotFound(id)));
    } else {
      const filters = parseFilters(input, VOLUME_FILTERS);
      selected = [...this.volumes.values()].filter((v) =>
        filters.every(({ name, values }) =>
          values.includes(name === 'file-system-id' ? v.spec.fileSystemId : v.spec.storageVirtualMachineId),
        ),
      );
    }
    selected.sort((a, b) => compare(a.spec.id, b.spec.id));
    const { page, nextToken } = paginate(selected, (v) => v.spec.id, input);
    return { Volumes: page.map((v) => this.describeVolume(v)), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  listTagsForResource(input: Input): ListTagsForResourceResponse {
    const tags = this.taggable(reqString(input, 'ResourceARN'));
    const keyed = tags.map((tag, i) => ({ tag, key: String(i).padStart(4, '0') }));
    const { page, nextToken } = paginate(keyed, (t) => t.key, input);
    return { Tags: page.map((t) => ({ ...t.tag })), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  tagResource(input: Input): Record<string, never> {
    const tags = this.taggable(reqString(input, 'ResourceARN'));
    const added = optTags(input);
    if (added === undefined) throw badRequest('Tags is required.');
    const merged = new Map(tags.map((t) => [t.Key ?? '', t.Value ?? '']));
    for (const t of added) merged.set(t.Key ?? '', t.Value ?? '');
    if (merged.size > 50) throw badRequest(`A resource can have at most 50 tags; this request would give it ${merged.size}.`);
    tags.splice(0, tags.length, ...[...merged].map(([Key, Value]) => ({ Key, Value })));
    return {};
  }

  untagResource(input: Input): Record<string, never> {
    const tags = this.taggable(reqString(input, 'ResourceARN'));
    const keys = optStringList(input, 'TagKeys', 50);
    if (keys === undefined || keys.length === 0) throw badRequest('TagKeys must contain between 1 and 50 keys.');
    keys.forEach((k, i) => checkTagKey(k, `TagKeys[${i}]`));
    const remaining = tags.filter((t) => !keys.includes(t.Key ?? ''));
    tags.splice(0, tags.length, ...remaining);
    return {};
  }

  // ---------------------------------------------------------------- ground truth and control

  /** Every backup as DescribeBackups would show it now, oldest first. */
  backups(query: BackupsQuery = {}): Backup[] {
    const now = this.nowMs();
    const records = [...this.live.values(), ...(query.includeDeleted ? this.deleted : [])];
    return records.sort(byCreation).map((r) => this.describe(r, now));
  }

  /** From now on backups of the resource fail; those in progress fail when they end. */
  failBackupsOf(resourceId: string, message: string): void {
    this.requireResource(resourceId);
    this.backupFaults.set(resourceId, { ...this.backupFaults.get(resourceId), failMessage: message });
    for (const r of this.inProgressOf(resourceId)) r.failMessage = message;
  }

  /** From now on backups of the resource never finish, nor do those in progress. */
  neverFinishBackupsOf(resourceId: string): void {
    this.requireResource(resourceId);
    this.backupFaults.set(resourceId, { ...this.backupFaults.get(resourceId), neverFinishes: true });
    for (const r of this.inProgressOf(resourceId)) r.neverFinishes = true;
  }

  /** New backups behave as the fleet says again; backups already affected keep their fate. */
  clearBackupFaults(): void {
    this.backupFaults.clear();
  }

  /** Moves a file system or volume to another lifecycle (e.g. MISCONFIGURED) for a test. */
  setLifecycle(resourceId: string, lifecycle: string): void {
    const fs = this.fileSystems.get(resourceId);
    if (fs) {
      if (!FILE_SYSTEM_LIFECYCLES.includes(lifecycle)) throw badRequest(`Unknown file system lifecycle '${lifecycle}'.`);
      fs.lifecycle = lifecycle as FileSystemState['lifecycle'];
      return;
    }
    const vol = this.volumes.get(resourceId);
    if (vol) {
      if (!VOLUME_LIFECYCLES.includes(lifecycle)) throw badRequest(`Unknown volume lifecycle '${lifecycle}'.`);
      vol.lifecycle = lifecycle as VolumeState['lifecycle'];
      return;
    }
    throw badRequest(`No file system or volume '${resourceId}' in the fleet.`);
  }

  // ---------------------------------------------------------------- internals

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  private requireResource(resourceId: string): void {
    if (!this.fileSystems.has(resourceId) && !this.volumes.has(resourceId)) {
      throw badRequest(`No file system or volume '${resourceId}' in the fleet.`);
    }
  }

  private inProgressOf(resourceId: string): BackupRecord[] {
    const now = this.nowMs();
    return [...this.live.values()].filter(
      (r) => (r.volumeId ?? r.fileSystemId) === resourceId && IN_PROGRESS.has(this.lifecycleOf(r, now)),
    );
  }

  private eligibleFileSystem(id: string): Source {
    const fs = this.fileSystems.get(id);
    if (!fs) throw fileSystemNotFound(id);
    if (fs.spec.type === 'ONTAP') throw unsupportedOperation('ONTAP file system backup is unsupported.');
    if (fs.lifecycle !== 'AVAILABLE') {
      throw badRequest(`File system '${id}' is in lifecycle state ${fs.lifecycle}; backups need it to be AVAILABLE.`);
    }
    const lustre = fs.spec.lustre;
    // Scratch and repository-linked Lustre: FSx's exact error is unverified; BadRequest chosen.
    if (lustre && !lustre.deploymentType.startsWith('PERSISTENT')) {
      throw badRequest(
        `Backups are not supported for Lustre file systems with deployment type ${lustre.deploymentType}; ` +
          'only PERSISTENT_1 and PERSISTENT_2 file systems can be backed up.',
      );
    }
    if (lustre?.dataRepository) {
      throw badRequest(`Backups are not supported for Lustre file system '${id}' because it is linked to a data repository.`);
    }
    return this.sourceOf(id);
  }

  private eligibleVolume(id: string): Source {
    const vol = this.volumes.get(id);
    if (!vol) throw volumeNotFound(id);
    // DP and LS volumes: FSx's exact error is unverified; BadRequest chosen.
    if (vol.spec.ontapVolumeType !== 'RW') {
      throw badRequest(
        `Volume '${id}' is a ${vol.spec.ontapVolumeType} volume; only RW FlexVol volumes can be backed up.`,
      );
    }
    if (vol.lifecycle !== 'CREATED' && vol.lifecycle !== 'AVAILABLE') {
      throw badRequest(`Volume '${id}' is in lifecycle state ${vol.lifecycle}; backups need it to be CREATED or AVAILABLE.`);
    }
    const parent = this.fileSystems.get(vol.spec.fileSystemId);
    if (parent && parent.lifecycle !== 'AVAILABLE') {
      throw badRequest(
        `File system '${parent.spec.id}' of volume '${id}' is in lifecycle state ${parent.lifecycle}; backups need it to be AVAILABLE.`,
      );
    }
    return this.sourceOf(id);
  }

  private sourceOf(resourceId: string): Source {
    const vol = this.volumes.get(resourceId);
    if (vol) {
      const fs = this.fileSystems.get(vol.spec.fileSystemId);
      if (!fs) throw new Error(`volume ${resourceId} has no file system`);
      return {
        resourceId,
        fileSystemId: fs.spec.id,
        volumeId: vol.spec.id,
        fsType: fs.spec.type,
        behaviour: vol.spec.backup,
        tags: vol.tags,
        copyTagsToBackups: vol.spec.copyTagsToBackups,
        inherentFailure:
          vol.spec.usedPercent > 98
            ? `The backup of volume ${vol.spec.id} failed: its snapshot would push the volume over 98% of its capacity (${vol.spec.usedPercent}% used).`
            : undefined,
        sizeBytes: vol.spec.backup?.sizeBytes ?? Math.round((vol.spec.sizeInMegabytes * MIB * vol.spec.usedPercent) / 100),
        fileSystem: this.describeFileSystem(fs, false),
        volume: this.describeVolume(vol, false),
      };
    }
    const fs = this.fileSystems.get(resourceId);
    if (!fs) throw new Error(`no file system or volume ${resourceId}`);
    return {
      resourceId,
      fileSystemId: fs.spec.id,
      fsType: fs.spec.type,
      behaviour: fs.spec.backup,
      tags: fs.tags,
      copyTagsToBackups: fs.spec.copyTagsToBackups,
      sizeBytes: fs.spec.backup?.sizeBytes ?? Math.round(fs.spec.storageCapacityGiB * GIB * 0.4),
      fileSystem: this.describeFileSystem(fs, false),
    };
  }

  private addRecord(
    source: Source,
    r: Pick<BackupRecord, 'type' | 'creationMs' | 'durationMs' | 'neverFinishes' | 'tags'> &
      Partial<Pick<BackupRecord, 'failMessage' | 'token' | 'requestTags'>> & { id?: string | undefined },
  ): BackupRecord {
    const record: BackupRecord = {
      id: r.id ?? this.newBackupId(),
      type: r.type,
      fileSystemId: source.fileSystemId,
      ...(source.volumeId !== undefined ? { volumeId: source.volumeId } : {}),
      fsType: source.fsType,
      creationMs: r.creationMs,
      durationMs: r.durationMs,
      ...(r.failMessage !== undefined ? { failMessage: r.failMessage } : {}),
      neverFinishes: r.neverFinishes,
      staged: source.fsType === 'LUSTRE' && r.type === 'USER_INITIATED',
      tags: r.tags,
      ...(r.token !== undefined ? { token: r.token } : {}),
      ...(r.requestTags !== undefined ? { requestTags: r.requestTags } : {}),
      fileSystem: source.fileSystem,
      ...(source.volume !== undefined ? { volume: source.volume } : {}),
      sizeBytes: source.sizeBytes,
    };
    this.live.set(record.id, record);
    if (record.token !== undefined) this.createTokens.set(record.token, record.id);
    return record;
  }

  private newBackupId(): string {
    for (;;) {
      let hex = '';
      for (let i = 0; i < 17; i++) hex += Math.floor(this.random() * 16).toString(16);
      const id = `backup-${hex}`;
      if (!this.live.has(id) && !this.deleted.some((r) => r.id === id)) return id;
    }
  }

  private lifecycleOf(r: BackupRecord, now: number): NonNullable<Backup['Lifecycle']> {
    return this.progressOf(r, now).lifecycle;
  }

  /**
   * Lifecycle from elapsed time: in progress until CreationTime + duration, then AVAILABLE or
   * FAILED. Lustre user-initiated backups spend the first 10% PENDING, up to 40% CREATING and
   * the rest TRANSFERRING.
   */
  private progressOf(r: BackupRecord, now: number): { lifecycle: NonNullable<Backup['Lifecycle']>; percent?: number } {
    if (r.deletedMs !== undefined) return { lifecycle: 'DELETED' };
    const elapsed = Math.max(0, now - r.creationMs);
    if (!r.neverFinishes && elapsed >= r.durationMs) {
      return r.failMessage !== undefined ? { lifecycle: 'FAILED' } : { lifecycle: 'AVAILABLE', percent: 100 };
    }
    const fraction = elapsed / r.durationMs;
    const percent = Math.min(99, Math.floor(fraction * 100));
    if (!r.staged) return { lifecycle: 'CREATING', percent };
    if (fraction < 0.1) return { lifecycle: 'PENDING', percent };
    if (fraction < 0.4) return { lifecycle: 'CREATING', percent };
    return { lifecycle: 'TRANSFERRING', percent };
  }

  private describe(r: BackupRecord, now: number): Backup {
    const { lifecycle, percent } = this.progressOf(r, now);
    return {
      BackupId: r.id,
      Lifecycle: lifecycle,
      Type: r.type,
      ...(percent !== undefined ? { ProgressPercent: percent } : {}),
      ...(lifecycle === 'FAILED' ? { FailureDetails: { Message: r.failMessage ?? 'The backup failed.' } } : {}),
      CreationTime: new Date(r.creationMs),
      ResourceARN: `arn:aws:fsx:${this.fleet.region}:${this.fleet.accountId}:backup/${r.id}`,
      ...(r.tags.length > 0 ? { Tags: r.tags.map((t) => ({ ...t })) } : {}),
      OwnerId: this.fleet.accountId,
      ResourceType: r.volumeId !== undefined ? 'VOLUME' : 'FILE_SYSTEM',
      FileSystem: structuredClone(r.fileSystem),
      ...(r.volume !== undefined ? { Volume: structuredClone(r.volume) } : {}),
      ...(lifecycle === 'AVAILABLE' ? { SizeInBytes: r.sizeBytes } : {}),
    };
  }

  private backupFilterValue(r: BackupRecord, name: string): string {
    switch (name) {
      case 'file-system-id':
        return r.fileSystemId;
      case 'volume-id':
        return r.volumeId ?? '';
      case 'backup-type':
        return r.type;
      case 'file-system-type':
        return r.fsType;
      default: // data-repository-type
        return r.fileSystem.LustreConfiguration?.DataRepositoryConfiguration ? 'S3' : 'NONE';
    }
  }

  private fileSystemArn(id: string): string {
    return `arn:aws:fsx:${this.fleet.region}:${this.fleet.accountId}:file-system/${id}`;
  }

  private volumeArn(v: VolumeState): string {
    return `arn:aws:fsx:${this.fleet.region}:${this.fleet.accountId}:volume/${v.spec.fileSystemId}/${v.spec.id}`;
  }

  private describeFileSystem(fs: FileSystemState, withTags = true): FileSystem {
    const { spec } = fs;
    const base: FileSystem = {
      OwnerId: this.fleet.accountId,
      CreationTime: new Date(fs.creationMs),
      FileSystemId: spec.id,
      FileSystemType: spec.type,
      Lifecycle: fs.lifecycle,
      StorageCapacity: spec.storageCapacityGiB,
      StorageType: 'SSD',
      VpcId: 'vpc-0123456789abcdef0',
      SubnetIds: ['subnet-0123456789abcdef0'],
      DNSName: `${spec.id}.fsx.${this.fleet.region}.amazonaws.com`,
      ResourceARN: this.fileSystemArn(spec.id),
      ...(withTags ? { Tags: fs.tags.map((t) => ({ ...t })) } : {}),
    };
    switch (spec.type) {
      case 'WINDOWS':
        return {
          ...base,
          WindowsConfiguration: {
            DeploymentType: 'SINGLE_AZ_2',
            ThroughputCapacity: 32,
            AutomaticBackupRetentionDays: 7,
            CopyTagsToBackups: spec.copyTagsToBackups,
          },
        };
      case 'LUSTRE': {
        const lustre = spec.lustre ?? { deploymentType: 'PERSISTENT_2', dataRepository: false };
        return {
          ...base,
          LustreConfiguration: {
            DeploymentType: lustre.deploymentType,
            MountName: 'abcdefgh',
            CopyTagsToBackups: spec.copyTagsToBackups,
            ...(lustre.dataRepository
              ? { DataRepositoryConfiguration: { Lifecycle: 'AVAILABLE', ImportPath: `s3://import-${spec.id}` } }
              : {}),
          },
        };
      }
      case 'ONTAP':
        return { ...base, OntapConfiguration: { DeploymentType: 'SINGLE_AZ_1', ThroughputCapacity: 128 } };
      case 'OPENZFS':
        return {
          ...base,
          OpenZFSConfiguration: {
            DeploymentType: 'SINGLE_AZ_1',
            ThroughputCapacity: 64,
            CopyTagsToBackups: spec.copyTagsToBackups,
            CopyTagsToVolumes: false,
          },
        };
    }
  }

  private describeVolume(v: VolumeState, withTags = true): Volume {
    const { spec } = v;
    return {
      CreationTime: new Date(v.creationMs),
      FileSystemId: spec.fileSystemId,
      Lifecycle: v.lifecycle,
      Name: spec.name,
      VolumeId: spec.id,
      VolumeType: 'ONTAP',
      ResourceARN: this.volumeArn(v),
      ...(withTags ? { Tags: v.tags.map((t) => ({ ...t })) } : {}),
      OntapConfiguration: {
        OntapVolumeType: spec.ontapVolumeType,
        StorageVirtualMachineId: spec.storageVirtualMachineId,
        SizeInMegabytes: spec.sizeInMegabytes,
        CopyTagsToBackups: spec.copyTagsToBackups,
        JunctionPath: spec.ontapVolumeType === 'DP' ? undefined : `/${spec.name}`,
        StorageEfficiencyEnabled: true,
      },
    };
  }

  /** The live tag list of the resource an ARN names. */
  private taggable(arn: string): Tag[] {
    const match = /^arn:[^:]+:fsx:([^:]+):(\d{12}):(file-system|volume|backup)\/(.+)$/.exec(arn);
    if (!match) throw badRequest(`Invalid ResourceARN '${arn}'.`);
    const [, region, account, kind, rest = ''] = match;
    if (region !== this.fleet.region || account !== this.fleet.accountId) throw resourceNotFound(arn);
    if (kind === 'file-system') {
      const fs = this.fileSystems.get(rest);
      if (fs) return fs.tags;
    } else if (kind === 'volume') {
      const v = this.volumes.get(rest.split('/')[1] ?? '');
      if (v && `${v.spec.fileSystemId}/${v.spec.id}` === rest) return v.tags;
    } else {
      const b = this.live.get(rest);
      if (b) return b.tags;
    }
    throw resourceNotFound(arn);
  }
}

interface Source {
  resourceId: string;
  fileSystemId: string;
  volumeId?: string;
  fsType: FsxType;
  behaviour: BackupBehaviour | undefined;
  tags: Tag[];
  copyTagsToBackups: boolean;
  inherentFailure?: string | undefined;
  sizeBytes: number;
  fileSystem: FileSystem;
  volume?: Volume;
}

const FILE_SYSTEM_LIFECYCLES: readonly string[] = [
  'AVAILABLE', 'CREATING', 'FAILED', 'DELETING', 'MISCONFIGURED', 'UPDATING', 'MISCONFIGURED_UNAVAILABLE',
];
const VOLUME_LIFECYCLES: readonly string[] = ['CREATING', 'CREATED', 'DELETING', 'FAILED', 'MISCONFIGURED', 'PENDING', 'AVAILABLE'];
const BACKUP_FILTERS = ['file-system-id', 'volume-id', 'backup-type', 'file-system-type', 'data-repository-type'];
const VOLUME_FILTERS = ['file-system-id', 'storage-virtual-machine-id'];

function parseFilters(input: Input, allowed: readonly string[]): { name: string; values: string[] }[] {
  const raw = input.Filters;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw badRequest('Filters must be a list of {Name, Values}.');
  if (raw.length > 10) throw badRequest(`Filters may contain at most 10 filters; ${raw.length} were given.`);
  return raw.map((f: unknown, i) => {
    if (typeof f !== 'object' || f === null) throw badRequest(`Filters[${i}] must be an object with Name and Values.`);
    const filter = f as Input;
    const name = reqString(filter, 'Name');
    if (!allowed.includes(name)) {
      throw badRequest(`Filters[${i}] has an unknown Name '${name}'; valid names are ${allowed.join(', ')}.`);
    }
    const values = optStringList(filter, 'Values', 20) ?? [];
    return { name, values };
  });
}

function toTags(record: Record<string, string>): Tag[] {
  return Object.entries(record).map(([Key, Value]) => ({ Key, Value }));
}

function sameTags(a: readonly Tag[] | undefined, b: readonly Tag[] | undefined): boolean {
  const norm = (tags: readonly Tag[] | undefined) =>
    JSON.stringify((tags ?? []).map((t) => [t.Key, t.Value]).sort());
  return (a === undefined) === (b === undefined) && norm(a) === norm(b);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function creationKey(r: BackupRecord): string {
  return `${String(r.creationMs).padStart(16, '0')}|${r.id}`;
}

function byCreation(a: BackupRecord, b: BackupRecord): number {
  return compare(creationKey(a), creationKey(b));
}

function throwing(error: Error): never {
  throw error;
}
