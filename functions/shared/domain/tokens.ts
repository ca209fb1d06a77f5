// The idempotency token and the tags sent with each FSx CreateBackup. Both are pure functions of
// the slot and target, so a retried call matches the first one and FSx returns the same backup.
import { createHash } from 'node:crypto';

/** FSx ClientRequestToken: 1-63 characters of this alphabet. */
export const BACKUP_TOKEN_PATTERN = /^[A-Za-z0-9_.-]{1,63}$/;

/** Tag keys under this prefix (and `Name`) are written by fsx-backup and reserved. */
export const RESERVED_TAG_PREFIX = 'fsx-backup:';
export const TAG_MANAGED_BY = 'fsx-backup:managed-by';
export const TAG_POLICY = 'fsx-backup:policy';
export const TAG_SLOT = 'fsx-backup:slot';
export const TAG_TARGET = 'fsx-backup:target';
export const TAG_NAME = 'Name';

/** FSx allows 50 tags per resource; the reserved tags above take 5 of them. */
export const MAX_TAGS_PER_RESOURCE = 50;
export const RESERVED_TAG_COUNT = 5;
export const MAX_POLICY_BACKUP_TAGS = MAX_TAGS_PER_RESOURCE - RESERVED_TAG_COUNT;

const TAG_CHARACTERS = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

export interface Tag {
  Key: string;
  Value: string;
}

export interface SlotTarget {
  policyId: string;
  targetId: string;
  /** The slot's scheduled time: an ISO 8601 string with zone, or a Date. */
  scheduledTime: string | Date;
}

export interface BackupTagsInput extends SlotTarget {
  backupTags: Readonly<Record<string, string>>;
  /** Name of the deployed stack; marks backups this stack may delete. */
  stackName: string;
}

/**
 * The slot's time as an ISO instant truncated to the minute, e.g. `2026-12-04T01:00:00Z`.
 * EventBridge Scheduler has one-minute precision, so seconds and milliseconds never tell two
 * slots apart; truncating makes `...:00Z` and `...:00.000Z` (and any offset form) the same slot.
 */
export function normalizeSlotTime(scheduledTime: string | Date): string {
  const date = typeof scheduledTime === 'string' ? parseIsoInstant(scheduledTime) : scheduledTime;
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`scheduledTime is not a valid time: ${String(scheduledTime)}`);
  const year = date.getUTCFullYear();
  if (year < 1970 || year > 9999) throw new RangeError(`scheduledTime must fall in the years 1970-9999, got ${year}`);
  const minute = new Date(ms - (((ms % 60_000) + 60_000) % 60_000));
  return `${minute.toISOString().slice(0, 16)}:00Z`;
}

// Only full ISO date-times with an explicit zone: Date.parse would read a zone-less string in
// the process's local zone, which would make the token depend on where it is computed.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

function parseIsoInstant(value: string): Date {
  if (!ISO_INSTANT.test(value)) {
    throw new RangeError(`scheduledTime must be an ISO 8601 time with a zone, e.g. 2026-12-04T01:00:00Z; got "${value}"`);
  }
  return new Date(value);
}

/**
 * The ClientRequestToken for one target in one slot: `<policy>.<yyyymmddThhmmZ>.<hash>`, at
 * most 63 characters. The policy id is cut to 27 characters to fit; the hash (100 bits of
 * sha256, base32) covers the full policy id, target id and slot, so tokens stay distinct.
 */
export function deriveBackupToken({ policyId, targetId, scheduledTime }: SlotTarget): string {
  const slot = normalizeSlotTime(scheduledTime);
  const hash = base32(sha256(JSON.stringify(['fsx-backup/token/v1', policyId, targetId, slot]))).slice(0, 20);
  const compactSlot = slot.replace(/[-:]/g, '').replace(/00Z$/, 'Z'); // 20261204T0100Z
  const readable = policyId.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 27) || 'policy';
  return `${readable}.${compactSlot}.${hash}`;
}

/**
 * The tags for one target's backup in one slot, sorted by key. The reserved tags always win
 * over a policy's backupTags of the same key (policy validation rejects such keys anyway).
 * Throws a RangeError if the result breaks an FSx tag rule, which valid policies never do.
 */
export function deriveBackupTags({ policyId, targetId, scheduledTime, backupTags, stackName }: BackupTagsInput): Tag[] {
  const slot = normalizeSlotTime(scheduledTime);
  const reserved: Record<string, string> = {
    [TAG_MANAGED_BY]: stackName,
    [TAG_POLICY]: policyId,
    [TAG_SLOT]: slot,
    [TAG_TARGET]: targetId,
    [TAG_NAME]: `fsx-backup ${policyId} ${slot.slice(0, 16)}Z`,
  };
  const merged = new Map<string, string>();
  for (const [key, value] of Object.entries(backupTags)) {
    if (!isReservedTagKey(key)) merged.set(key, value);
  }
  for (const [key, value] of Object.entries(reserved)) merged.set(key, value);

  const tags = [...merged].map(([Key, Value]) => ({ Key, Value }));
  // Code-unit order, not localeCompare: the order must not depend on the runtime's locale.
  tags.sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));

  if (tags.length > MAX_TAGS_PER_RESOURCE) {
    throw new RangeError(`a backup can carry at most ${MAX_TAGS_PER_RESOURCE} tags, got ${tags.length}`);
  }
  for (const { Key, Value } of tags) {
    const problem = tagKeyProblem(Key) ?? tagValueProblem(Value);
    if (problem) throw new RangeError(`tag ${JSON.stringify(Key)}: ${problem}`);
  }
  return tags;
}

/** Keys a policy may not set in backupTags: `fsx-backup:*` (any case) and `Name`. */
export function isReservedTagKey(key: string): boolean {
  return key.toLowerCase().startsWith(RESERVED_TAG_PREFIX) || key === TAG_NAME;
}

/** Why a string cannot be an FSx tag key, or undefined if it can. */
export function tagKeyProblem(key: string): string | undefined {
  if (key.length < 1) return 'tag key must not be empty';
  if (key.length > 128) return `tag key must be at most 128 characters, got ${key.length}`;
  if (!TAG_CHARACTERS.test(key)) return `tag key ${JSON.stringify(key)} may only contain letters, digits, spaces and _ . : / = + - @`;
  // AWS reserves the aws: prefix for its own tags and rejects it in user requests.
  if (key.toLowerCase().startsWith('aws:')) return `tag key ${JSON.stringify(key)} uses the prefix "aws:", which AWS reserves`;
  return undefined;
}

/** Why a string cannot be an FSx tag value, or undefined if it can. */
export function tagValueProblem(value: string): string | undefined {
  if (value.length > 256) return `tag value must be at most 256 characters, got ${value.length}`;
  if (!TAG_CHARACTERS.test(value)) return `tag value ${JSON.stringify(value)} may only contain letters, digits, spaces and _ . : / = + - @`;
  return undefined;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lower case, no padding. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
