// Reads the file systems and ONTAP volumes a policy's selector can reach, with the fewest
// FSx calls: only the named ids when the policy names ids only, the whole account otherwise.
import {
  FileSystemNotFound,
  VolumeNotFound,
  paginateDescribeFileSystems,
  paginateDescribeVolumes,
  type FSxClient,
  type FileSystem,
  type Volume,
} from '@aws-sdk/client-fsx';
import type { FleetFileSystem, FleetVolume, TargetSelector } from '../shared/domain/targets.js';

const chunk = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

export async function describeFleet(fsx: FSxClient, selector: TargetSelector): Promise<{ fileSystems: FleetFileSystem[]; volumes: FleetVolume[] }> {
  if (Object.keys(selector.tags).length > 0) {
    const fileSystems: FileSystem[] = [];
    for await (const page of paginateDescribeFileSystems({ client: fsx }, {})) fileSystems.push(...(page.FileSystems ?? []));
    const volumes: Volume[] = [];
    if (fileSystems.some((f) => f.FileSystemType === 'ONTAP')) {
      for await (const page of paginateDescribeVolumes({ client: fsx }, {})) volumes.push(...(page.Volumes ?? []));
    }
    return { fileSystems: fileSystems.map(toFleetFileSystem), volumes: volumes.map(toFleetVolume) };
  }

  const fsIds = selector.ids.filter((id) => !id.startsWith('fsvol-'));
  const volumeIds = selector.ids.filter((id) => id.startsWith('fsvol-'));
  const describeFileSystems = async (ids: string[]) => {
    const out: FileSystem[] = [];
    for await (const page of paginateDescribeFileSystems({ client: fsx }, { FileSystemIds: ids })) out.push(...(page.FileSystems ?? []));
    return out;
  };
  const describeVolumes = async (ids: string[]) => {
    const out: Volume[] = [];
    for await (const page of paginateDescribeVolumes({ client: fsx }, { VolumeIds: ids })) out.push(...(page.Volumes ?? []));
    return out;
  };
  const fileSystems = await describeEach(fsIds, describeFileSystems, FileSystemNotFound);
  const volumes = await describeEach(volumeIds, describeVolumes, VolumeNotFound);
  // An ONTAP file system named by id stands for its volumes; the volumes' file systems tell the type.
  const ontapIds = fileSystems.filter((f) => f.FileSystemType === 'ONTAP').map((f) => f.FileSystemId ?? '');
  for (const fsId of ontapIds) {
    for await (const page of paginateDescribeVolumes({ client: fsx }, { Filters: [{ Name: 'file-system-id', Values: [fsId] }] })) volumes.push(...(page.Volumes ?? []));
  }
  const knownFs = new Set(fileSystems.map((f) => f.FileSystemId));
  const parentIds = [...new Set(volumes.map((v) => v.FileSystemId ?? ''))].filter((id) => id && !knownFs.has(id));
  fileSystems.push(...(await describeEach(parentIds, describeFileSystems, FileSystemNotFound)));
  return { fileSystems: fileSystems.map(toFleetFileSystem), volumes: volumes.map(toFleetVolume) };
}

/**
 * Describes ids 50 at a time. One missing id fails its whole call, so a failing chunk is split in
 * halves until the missing ids are alone (log2(50) extra calls per missing id, not 50).
 */
async function describeEach<T>(ids: string[], describe: (ids: string[]) => Promise<T[]>, notFound: abstract new (...args: never[]) => Error): Promise<T[]> {
  const describeOrSplit = async (chunk: string[]): Promise<T[]> => {
    try {
      return await describe(chunk);
    } catch (e: unknown) {
      if (!(e instanceof notFound)) throw e;
      if (chunk.length === 1) return [];
      const half = Math.ceil(chunk.length / 2);
      return [...(await describeOrSplit(chunk.slice(0, half))), ...(await describeOrSplit(chunk.slice(half)))];
    }
  };
  const out: T[] = [];
  for (const ids50 of chunk([...new Set(ids)], 50)) out.push(...(await describeOrSplit(ids50)));
  return out;
}

const tagMap = (tags: { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key as string, t.Value ?? '']));

function toFleetFileSystem(f: FileSystem): FleetFileSystem {
  const lustre = f.LustreConfiguration;
  return {
    id: f.FileSystemId ?? '',
    type: f.FileSystemType ?? 'UNKNOWN',
    lifecycle: f.Lifecycle,
    name: tagMap(f.Tags)['Name'],
    tags: tagMap(f.Tags),
    lustreDeploymentType: lustre?.DeploymentType,
    lustreLinkedToDataRepository: Boolean(lustre?.DataRepositoryConfiguration?.ImportPath || lustre?.DataRepositoryConfiguration?.ExportPath),
  };
}

function toFleetVolume(v: Volume): FleetVolume {
  return {
    id: v.VolumeId ?? '',
    fileSystemId: v.FileSystemId ?? '',
    name: v.Name,
    ontapVolumeType: v.OntapConfiguration?.OntapVolumeType,
    tags: tagMap(v.Tags),
  };
}
