import { describe, expect, it } from 'vitest';
import { countByStatus, emptyCounts, pollWaitSeconds, rollUpRunStatus } from '../../functions/shared/domain/states.js';

const counts = (c: Partial<ReturnType<typeof emptyCounts>>) => ({ ...emptyCounts(), ...c });

describe('run status roll-up', () => {
  it('is SUCCEEDED when every target succeeded', () => expect(rollUpRunStatus(counts({ SUCCEEDED: 3 }))).toBe('SUCCEEDED'));
  it('is PARTIAL when some targets succeeded and others failed, timed out or were skipped', () => {
    expect(rollUpRunStatus(counts({ SUCCEEDED: 2, FAILED: 1 }))).toBe('PARTIAL');
    expect(rollUpRunStatus(counts({ SUCCEEDED: 2, TIMED_OUT: 1 }))).toBe('PARTIAL');
    expect(rollUpRunStatus(counts({ SUCCEEDED: 2, SKIPPED: 1 }))).toBe('PARTIAL');
  });
  it('is FAILED when no target was backed up, skipped ones included', () => {
    expect(rollUpRunStatus(counts({ FAILED: 1, SKIPPED: 2 }))).toBe('FAILED');
    expect(rollUpRunStatus(counts({ SKIPPED: 1 }))).toBe('FAILED');
  });
  it('is NO_TARGETS when the policy selected nothing', () => expect(rollUpRunStatus(emptyCounts())).toBe('NO_TARGETS'));
  it('refuses to roll up a run with targets still open', () => {
    expect(() => rollUpRunStatus(counts({ SUCCEEDED: 1, IN_PROGRESS: 1 }))).toThrow(/still pending or in progress/);
  });
  it('counts targets by status', () => {
    expect(countByStatus([{ status: 'SUCCEEDED' }, { status: 'FAILED' }, { status: 'SUCCEEDED' }])).toEqual(counts({ SUCCEEDED: 2, FAILED: 1 }));
  });
});

describe('wait between polls', () => {
  const settings = { initialSeconds: 30, maxSeconds: 300 };
  it('starts at the initial wait and doubles up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map((n) => pollWaitSeconds(n, settings))).toEqual([30, 60, 120, 240, 300, 300, 300]);
  });
  it('never waits past the next deadline, and always at least a second', () => {
    expect(pollWaitSeconds(4, settings, 42.3)).toBe(43);
    expect(pollWaitSeconds(4, settings, 0.2)).toBe(1);
    expect(pollWaitSeconds(0, settings, 1000)).toBe(30);
  });
});
