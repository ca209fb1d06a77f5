// Which FSx resources a policy backs up: explicit ids, a tag selector, a type filter and
// exclusions, over a snapshot of the account's file systems and ONTAP volumes.
import type { NewTarget } from '../store/runs.js';

export type FileSystemType = 'WINDOWS' | 'LUSTRE' | 'ONTAP' | 'OPENZFS';

export interface FleetFileSystem {
  id: string;
  type: string;
  lifecycle?: string;
  name?: string;
  tags: Record<string, string>;
  /** Lustre only. */
  lustreDeploymentType?: string;
  lustreLinkedToDataRepository?: boolean;
}

export interface FleetVolume {
  id: string;
  fileSystemId: string;
  name?: string;
  ontapVolumeType?: string;
  tags: Record<string, string>;
}

export interface TargetSelector {
  ids: string[];
  tags: Record<string, string>;
  fileSystemTypes?: string[];
  exclude: { ids: string[]; tags: Record<string, string> };
}

const matchesAll = (tags: Record<string, string>, wanted: Record<string, string>) =>
  Object.entries(wanted).every(([k, v]) => tags[k] === v);
const matchesAny = (tags: Record<string, string>, unwanted: Record<string, string>) =>
  Object.entries(unwanted).some(([k, v]) => tags[k] === v);

/**
 * Selects the targets. An ONTAP file system (by id or by tags) stands for its volumes; a
 * resource that FSx cannot back up (Lustre scratch or repository-linked, non-RW ONTAP volumes)
 * becomes a SKIPPED target with the reason, and an explicit id that does not exist a FAILED one.
 */
export function selectTargets(selector: TargetSelector, fileSystems: FleetFileSystem[], volumes: FleetVolume[]): NewTarget[] {
  const fsById = new Map(fileSystems.map((f) => [f.id, f]));
  const volumesByFs = new Map<string, FleetVolume[]>();
  for (const v of volumes) volumesByFs.set(v.fileSystemId, [...(volumesByFs.get(v.fileSystemId) ?? []), v]);
  const volumeById = new Map(volumes.map((v) => [v.id, v]));

  const picked = new Map<string, NewTarget>();
  const useTags = Object.keys(selector.tags).length > 0;
  const ids = new Set(selector.ids);

  const addVolume = (v: FleetVolume, explicit: boolean) => {
    const fs = fsById.get(v.fileSystemId);
    const base: NewTarget = { targetId: v.id, resourceType: 'VOLUME', fileSystemId: v.fileSystemId, fileSystemType: fs?.type ?? 'ONTAP', name: v.name };
    const type = v.ontapVolumeType ?? 'RW';
    if (type !== 'RW') {
      // Implicit (tag or file-system) selection quietly leaves out volumes FSx cannot back up;
      // an explicit id says why it was skipped.
      if (explicit) picked.set(v.id, { ...base, status: 'SKIPPED', reason: `only RW volumes can be backed up; ${v.id} is a ${type} volume` });
      return;
    }
    picked.set(v.id, base);
  };

  const addFileSystem = (fs: FleetFileSystem) => {
    if (fs.type === 'ONTAP') {
      for (const v of volumesByFs.get(fs.id) ?? []) addVolume(v, false);
      return;
    }
    const base: NewTarget = { targetId: fs.id, resourceType: 'FILE_SYSTEM', fileSystemId: fs.id, fileSystemType: fs.type, name: fs.name };
    const reason = unsupportedReason(fs);
    picked.set(fs.id, reason ? { ...base, status: 'SKIPPED', reason } : base);
  };

  for (const id of ids) {
    if (id.startsWith('fsvol-')) {
      const v = volumeById.get(id);
      if (v) addVolume(v, true);
      else picked.set(id, missing(id, 'VOLUME', 'VolumeNotFound', `Volume ${id} does not exist.`));
    } else {
      const fs = fsById.get(id);
      if (fs) addFileSystem(fs);
      else picked.set(id, missing(id, 'FILE_SYSTEM', 'FileSystemNotFound', `File system ${id} does not exist.`));
    }
  }
  if (useTags) {
    for (const fs of fileSystems) if (matchesAll(fs.tags, selector.tags)) addFileSystem(fs);
    for (const v of volumes) if (matchesAll(v.tags, selector.tags)) addVolume(v, false);
  }

  const types = selector.fileSystemTypes && selector.fileSystemTypes.length > 0 ? new Set(selector.fileSystemTypes) : undefined;
  const excludedIds = new Set(selector.exclude.ids);
  return [...picked.values()].filter((t) => {
    if (types && t.status !== 'FAILED' && !types.has(t.fileSystemType)) return false;
    if (excludedIds.has(t.targetId) || excludedIds.has(t.fileSystemId)) return false;
    const tags = t.resourceType === 'VOLUME' ? volumeById.get(t.targetId)?.tags : fsById.get(t.targetId)?.tags;
    if (tags && matchesAny(tags, selector.exclude.tags)) return false;
    return true;
  }).sort((a, b) => a.targetId.localeCompare(b.targetId));
}

function unsupportedReason(fs: FleetFileSystem): string | undefined {
  if (fs.type !== 'LUSTRE') return undefined;
  if (fs.lustreDeploymentType && !['PERSISTENT_1', 'PERSISTENT_2'].includes(fs.lustreDeploymentType)) {
    return `Lustre ${fs.lustreDeploymentType} file systems cannot be backed up (only PERSISTENT_1 and PERSISTENT_2)`;
  }
  if (fs.lustreLinkedToDataRepository) return 'Lustre file systems linked to a data repository cannot be backed up';
  return undefined;
}

function missing(id: string, resourceType: NewTarget['resourceType'], name: string, message: string): NewTarget {
  return { targetId: id, resourceType, fileSystemId: resourceType === 'FILE_SYSTEM' ? id : '', fileSystemType: 'UNKNOWN', status: 'FAILED', lastError: { name, message }, reason: message };
}
