import { describe, expect, it } from 'vitest';
import { selectTargets, type FleetFileSystem, type FleetVolume, type TargetSelector } from '../../functions/shared/domain/targets.js';

const fs = (id: string, type: string, tags: Record<string, string> = {}, extra: Partial<FleetFileSystem> = {}): FleetFileSystem => ({ id, type, tags, ...extra });
const vol = (id: string, fileSystemId: string, tags: Record<string, string> = {}, ontapVolumeType = 'RW'): FleetVolume => ({ id, fileSystemId, tags, ontapVolumeType, name: id.slice(-3) });

const fileSystems = [
  fs('fs-00000001', 'WINDOWS', { backup: 'daily', env: 'prod' }),
  fs('fs-00000002', 'LUSTRE', { backup: 'daily' }, { lustreDeploymentType: 'PERSISTENT_2' }),
  fs('fs-00000003', 'LUSTRE', { backup: 'daily' }, { lustreDeploymentType: 'SCRATCH_2' }),
  fs('fs-00000004', 'LUSTRE', { backup: 'daily' }, { lustreDeploymentType: 'PERSISTENT_1', lustreLinkedToDataRepository: true }),
  fs('fs-00000005', 'OPENZFS', { backup: 'daily', env: 'dev' }),
  fs('fs-00000006', 'ONTAP', { backup: 'daily' }),
  fs('fs-00000007', 'ONTAP', {}),
];
const volumes = [
  vol('fsvol-00000000000000061', 'fs-00000006'),
  vol('fsvol-00000000000000062', 'fs-00000006', {}, 'DP'),
  vol('fsvol-00000000000000071', 'fs-00000007', { backup: 'daily' }),
  vol('fsvol-00000000000000072', 'fs-00000007', { backup: 'weekly' }),
];
const selector = (s: Partial<TargetSelector>): TargetSelector => ({ ids: [], tags: {}, exclude: { ids: [], tags: {} }, ...s });
const ids = (targets: { targetId: string }[]) => targets.map((t) => t.targetId);

describe('target selection', () => {
  it('selects file systems and ONTAP volumes carrying all the selector tags, an ONTAP file system standing for its RW volumes', () => {
    const picked = selectTargets(selector({ tags: { backup: 'daily' } }), fileSystems, volumes);
    expect(ids(picked)).toEqual(['fs-00000001', 'fs-00000002', 'fs-00000003', 'fs-00000004', 'fs-00000005', 'fsvol-00000000000000061', 'fsvol-00000000000000071']);
    expect(picked.find((t) => t.targetId === 'fsvol-00000000000000061')).toMatchObject({ resourceType: 'VOLUME', fileSystemId: 'fs-00000006', fileSystemType: 'ONTAP' });
  });

  it('skips Lustre scratch and repository-linked file systems with the reason', () => {
    const picked = selectTargets(selector({ tags: { backup: 'daily' }, fileSystemTypes: ['LUSTRE'] }), fileSystems, volumes);
    expect(picked.map((t) => [t.targetId, t.status ?? 'PENDING'])).toEqual([
      ['fs-00000002', 'PENDING'],
      ['fs-00000003', 'SKIPPED'],
      ['fs-00000004', 'SKIPPED'],
    ]);
    expect(picked[1]?.reason).toMatch(/SCRATCH_2/);
    expect(picked[2]?.reason).toMatch(/data repository/);
  });

  it('needs every selector tag, not just one', () => {
    expect(ids(selectTargets(selector({ tags: { backup: 'daily', env: 'prod' } }), fileSystems, volumes))).toEqual(['fs-00000001']);
  });

  it('excludes by id, by ONTAP file-system id, and by any one of the excluded tags', () => {
    const picked = selectTargets(
      selector({ tags: { backup: 'daily' }, exclude: { ids: ['fs-00000002', 'fs-00000006'], tags: { env: 'dev', tier: 'none' } } }),
      fileSystems,
      volumes,
    );
    expect(ids(picked)).toEqual(['fs-00000001', 'fs-00000003', 'fs-00000004', 'fsvol-00000000000000071']);
  });

  it('turns explicit ids that do not exist into FAILED targets with the FSx error name', () => {
    const picked = selectTargets(selector({ ids: ['fs-0000dead', 'fsvol-0000000000000dead', 'fs-00000001'] }), fileSystems, volumes);
    expect(picked.map((t) => [t.targetId, t.status ?? 'PENDING', t.lastError?.name])).toEqual([
      ['fs-00000001', 'PENDING', undefined],
      ['fs-0000dead', 'FAILED', 'FileSystemNotFound'],
      ['fsvol-0000000000000dead', 'FAILED', 'VolumeNotFound'],
    ]);
  });

  it('skips an explicitly named DP volume, and leaves DP volumes out of implicit selection', () => {
    expect(selectTargets(selector({ ids: ['fsvol-00000000000000062'] }), fileSystems, volumes)).toMatchObject([{ targetId: 'fsvol-00000000000000062', status: 'SKIPPED' }]);
    expect(ids(selectTargets(selector({ ids: ['fs-00000006'] }), fileSystems, volumes))).toEqual(['fsvol-00000000000000061']);
  });

  it('lists a target chosen both by id and by tags once', () => {
    expect(ids(selectTargets(selector({ ids: ['fs-00000001'], tags: { env: 'prod' } }), fileSystems, volumes))).toEqual(['fs-00000001']);
  });
});
