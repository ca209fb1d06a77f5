// The fleet file: which file systems, volumes and backups the FSx emulator starts with, and how
// their backups behave (duration, failure). Parsed with zod so a bad file says what is wrong.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const FILE_SYSTEM_ID = /^fs-[0-9a-f]{8,17}$/;
export const VOLUME_ID = /^fsvol-[0-9a-f]{17,}$/;
export const BACKUP_ID = /^backup-[0-9a-f]{8,}$/;

export const FSX_TYPES = ['WINDOWS', 'LUSTRE', 'ONTAP', 'OPENZFS'] as const;
export type FsxType = (typeof FSX_TYPES)[number];

/** Quotas of user-initiated backups per account and Region (2023 values, adjustable in FSx). */
export const DEFAULT_QUOTAS: Readonly<Record<FsxType, number>> = Object.freeze({
  WINDOWS: 500,
  LUSTRE: 500,
  ONTAP: 10_000,
  OPENZFS: 10_000,
});

export const DEFAULT_BACKUP_DURATION_MINUTES = 10;
export const DEFAULT_BUSY_DURATION_MINUTES = 20;

/** FSx's tag rules: at most 50, keys 1–128 and values 0–256 characters of its tag alphabet. */
const TAG_TEXT = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;
const tags = z
  .record(
    z.string().min(1).max(128).regex(TAG_TEXT, 'tag keys use letters, digits, spaces and _.:/=+-@'),
    z.string().max(256).regex(TAG_TEXT, 'tag values use letters, digits, spaces and _.:/=+-@'),
  )
  .refine((t) => Object.keys(t).length <= 50, 'at most 50 tags')
  .prefault({});

const backupBehaviour = z
  .object({
    /** Simulated time from CreationTime to the end of the backup. */
    durationMinutes: z.number().positive().optional(),
    /** When set, the backup ends FAILED with this FailureDetails.Message. */
    fails: z.string().min(1).optional(),
    /** The backup stays in progress forever. */
    never: z.boolean().prefault(false),
    /** SizeInBytes reported once the backup is AVAILABLE. */
    sizeBytes: z.number().int().nonnegative().optional(),
  })
  .strict();

/** `busy: true` or `busy: { durationMinutes }`: someone else's backup is already under way at start. */
const busy = z
  .union([z.boolean(), z.object({ durationMinutes: z.number().positive() }).strict()])
  .optional();

const fileSystem = z
  .object({
    id: z.string().regex(FILE_SYSTEM_ID, 'must look like fs- followed by 8 to 17 hex digits'),
    type: z.enum(FSX_TYPES),
    lifecycle: z
      .enum(['AVAILABLE', 'CREATING', 'FAILED', 'DELETING', 'MISCONFIGURED', 'UPDATING', 'MISCONFIGURED_UNAVAILABLE'])
      .prefault('AVAILABLE'),
    storageCapacityGiB: z.number().int().positive().prefault(1024),
    tags,
    copyTagsToBackups: z.boolean().prefault(false),
    lustre: z
      .object({
        deploymentType: z.enum(['SCRATCH_1', 'SCRATCH_2', 'PERSISTENT_1', 'PERSISTENT_2']),
        dataRepository: z.boolean().prefault(false),
      })
      .strict()
      .optional(),
    backup: backupBehaviour.optional(),
    busy,
  })
  .strict();

const volume = z
  .object({
    id: z.string().regex(VOLUME_ID, 'must look like fsvol- followed by 17 hex digits'),
    fileSystemId: z.string().regex(FILE_SYSTEM_ID, 'must look like fs- followed by 8 to 17 hex digits'),
    name: z.string().min(1),
    lifecycle: z
      .enum(['CREATING', 'CREATED', 'DELETING', 'FAILED', 'MISCONFIGURED', 'PENDING', 'AVAILABLE'])
      .prefault('CREATED'),
    ontapVolumeType: z.enum(['RW', 'DP', 'LS']).prefault('RW'),
    storageVirtualMachineId: z.string().regex(/^svm-[0-9a-f]{17}$/).prefault('svm-0123456789abcdef0'),
    sizeInMegabytes: z.number().int().positive().prefault(102_400),
    usedPercent: z.number().min(0).max(100).prefault(40),
    tags,
    copyTagsToBackups: z.boolean().prefault(false),
    backup: backupBehaviour.optional(),
    busy,
  })
  .strict();

const existingBackup = z
  .object({
    id: z.string().regex(BACKUP_ID, 'must look like backup- followed by hex digits').optional(),
    /** The file system (fs-...) or, for ONTAP, the volume (fsvol-...) it was taken of. */
    resourceId: z.string(),
    type: z.enum(['AWS_BACKUP', 'USER_INITIATED', 'AUTOMATIC']).prefault('AWS_BACKUP'),
    /** Relative to the moment the emulator starts (or is reset). */
    createdMinutesAgo: z.number().nonnegative().prefault(24 * 60),
    durationMinutes: z.number().positive().optional(),
    fails: z.string().min(1).optional(),
    tags,
  })
  .strict();

export const fleetSchema = z
  .object({
    region: z.string().min(1).prefault('us-east-1'),
    accountId: z.string().regex(/^\d{12}$/, 'must be 12 digits').prefault('123456789012'),
    /** Seed of the generator of backup ids and of probabilistic faults. */
    seed: z.number().int().prefault(1),
    quotas: z
      .object({
        WINDOWS: z.number().int().nonnegative().optional(),
        LUSTRE: z.number().int().nonnegative().optional(),
        ONTAP: z.number().int().nonnegative().optional(),
        OPENZFS: z.number().int().nonnegative().optional(),
      })
      .strict()
      .prefault({}),
    defaults: z
      .object({ backupDurationMinutes: z.number().positive().prefault(DEFAULT_BACKUP_DURATION_MINUTES) })
      .strict()
      .prefault({}),
    fileSystems: z.array(fileSystem).prefault([]),
    volumes: z.array(volume).prefault([]),
    backups: z.array(existingBackup).prefault([]),
  })
  .strict()
  .superRefine((fleet, ctx) => {
    const fsById = new Map(fleet.fileSystems.map((fs) => [fs.id, fs]));
    const seen = new Set<string>();
    const dup = (id: string, path: (string | number)[]) => {
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path, message: `duplicate id ${id}` });
      seen.add(id);
    };
    fleet.fileSystems.forEach((fs, i) => {
      dup(fs.id, ['fileSystems', i, 'id']);
      if (fs.type === 'LUSTRE' && !fs.lustre) {
        ctx.addIssue({ code: 'custom', path: ['fileSystems', i, 'lustre'], message: 'a LUSTRE file system needs lustre.deploymentType' });
      }
      if (fs.type !== 'LUSTRE' && fs.lustre) {
        ctx.addIssue({ code: 'custom', path: ['fileSystems', i, 'lustre'], message: `only LUSTRE file systems take lustre settings (this one is ${fs.type})` });
      }
    });
    fleet.volumes.forEach((vol, i) => {
      dup(vol.id, ['volumes', i, 'id']);
      const parent = fsById.get(vol.fileSystemId);
      if (!parent) {
        ctx.addIssue({ code: 'custom', path: ['volumes', i, 'fileSystemId'], message: `no file system ${vol.fileSystemId} in the fleet` });
      } else if (parent.type !== 'ONTAP') {
        ctx.addIssue({ code: 'custom', path: ['volumes', i, 'fileSystemId'], message: `volumes belong to ONTAP file systems; ${vol.fileSystemId} is ${parent.type}` });
      }
    });
    fleet.backups.forEach((b, i) => {
      if (b.id) dup(b.id, ['backups', i, 'id']);
      const known = fsById.has(b.resourceId) || fleet.volumes.some((v) => v.id === b.resourceId);
      if (!known) ctx.addIssue({ code: 'custom', path: ['backups', i, 'resourceId'], message: `no file system or volume ${b.resourceId} in the fleet` });
      if (fsById.get(b.resourceId)?.type === 'ONTAP') {
        ctx.addIssue({ code: 'custom', path: ['backups', i, 'resourceId'], message: 'ONTAP backups are taken of volumes: use the volume id' });
      }
    });
  });

/** A fleet as written (defaults optional). */
export type FleetInput = z.input<typeof fleetSchema>;
/** A fleet with every default filled in. */
export type Fleet = z.output<typeof fleetSchema>;
export type FleetFileSystem = Fleet['fileSystems'][number];
export type FleetVolume = Fleet['volumes'][number];
export type FleetBackup = Fleet['backups'][number];
export type BackupBehaviour = z.output<typeof backupBehaviour>;

export class FleetError extends Error {
  override readonly name = 'FleetError';
}

/** Validates a fleet object; throws a FleetError listing every problem. */
export function parseFleet(input: unknown, source = 'fleet'): Fleet {
  const result = fleetSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new FleetError(`invalid ${source}:\n${z.prettifyError(result.error)}`, { cause: result.error });
  }
  return result.data;
}

/** Reads a YAML or JSON fleet file (JSON is YAML, so one parser reads both). */
export function loadFleet(path: string): Fleet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e: unknown) {
    throw new FleetError(`cannot read fleet file ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e: unknown) {
    throw new FleetError(`fleet file ${path} is not valid YAML/JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return parseFleet(data, `fleet file ${path}`);
}

export interface GenerateFleetOptions {
  /** Number of backup targets: file systems (Windows, Lustre, OpenZFS) and ONTAP volumes. */
  size: number;
  /** Simulated backup duration; default 2 minutes. */
  durationMinutes?: number;
  /** Which kinds of target to cycle through; default all four. */
  types?: readonly FsxType[];
  /** Volumes per ONTAP file system; default 10. */
  volumesPerOntapFileSystem?: number;
  /** Tags put on every target; default `{ bench: 'true' }`. */
  tags?: Record<string, string>;
  /** Default: quotas high enough that repeated benchmark runs never reach them. */
  quotas?: Partial<Record<FsxType, number>>;
  seed?: number;
}

/** A fleet of `size` healthy backup targets with short backups, for benchmarks. */
export function generateFleet(opts: GenerateFleetOptions): Fleet {
  const { size, durationMinutes = 2, types = FSX_TYPES, volumesPerOntapFileSystem = 10 } = opts;
  if (!Number.isInteger(size) || size < 0) throw new FleetError(`size must be a non-negative integer, got ${size}`);
  if (types.length === 0) throw new FleetError('types must not be empty');
  const tags = opts.tags ?? { bench: 'true' };
  const hex = (prefix: string, n: number) => `${prefix}0b${n.toString(16).padStart(15, '0')}`;
  const fileSystems: NonNullable<FleetInput['fileSystems']> = [];
  const volumes: NonNullable<FleetInput['volumes']> = [];
  let fsCount = 0;
  let ontapFs: string | undefined;
  let ontapVolumes = 0;
  for (let i = 0; i < size; i++) {
    const type = types[i % types.length] ?? 'WINDOWS';
    const backup = { durationMinutes };
    if (type === 'ONTAP') {
      if (!ontapFs || ontapVolumes >= volumesPerOntapFileSystem) {
        ontapFs = hex('fs-', fsCount++);
        ontapVolumes = 0;
        fileSystems.push({ id: ontapFs, type: 'ONTAP', tags: { ...tags } });
      }
      volumes.push({ id: hex('fsvol-', i), fileSystemId: ontapFs, name: `vol${i}`, tags: { ...tags }, backup });
      ontapVolumes++;
    } else {
      fileSystems.push({
        id: hex('fs-', fsCount++),
        type,
        tags: { ...tags },
        backup,
        ...(type === 'LUSTRE' ? { lustre: { deploymentType: 'PERSISTENT_2' as const } } : {}),
      });
    }
  }
  const plenty = Math.max(1_000_000, size * 1000);
  return parseFleet({
    seed: opts.seed ?? 1,
    quotas: { WINDOWS: plenty, LUSTRE: plenty, ONTAP: plenty, OPENZFS: plenty, ...opts.quotas },
    fileSystems,
    volumes,
  }, 'generated fleet');
}
