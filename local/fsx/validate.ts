// Request validation for the emulator. The SDK validates nothing client-side, so FSx's own checks
// (id patterns, token pattern, tag rules, list sizes) live here and answer BadRequest.
import type { Tag } from '@aws-sdk/client-fsx';
import { badRequest } from './errors.js';

export type Input = Record<string, unknown>;

export const CLIENT_REQUEST_TOKEN = /^[A-Za-z0-9_.-]{1,63}$/;
const TAG_TEXT = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

export function optString(input: Input, name: string, pattern?: RegExp): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be a string.`);
  if (pattern && !pattern.test(value)) {
    throw badRequest(`Invalid ${name} '${value}': it must match the pattern ${pattern.source}.`);
  }
  return value;
}

export function reqString(input: Input, name: string, pattern?: RegExp): string {
  const value = optString(input, name, pattern);
  if (value === undefined) throw badRequest(`${name} is required.`);
  return value;
}

export function optStringList(input: Input, name: string, max: number, pattern?: RegExp): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw badRequest(`${name} must be a list of strings.`);
  if (value.length > max) throw badRequest(`${name} may contain at most ${max} items; ${value.length} were given.`);
  return value.map((item: unknown, i) => {
    if (typeof item !== 'string') throw badRequest(`${name}[${i}] must be a string.`);
    if (pattern && !pattern.test(item)) {
      throw badRequest(`Invalid ${name}[${i}] '${item}': it must match the pattern ${pattern.source}.`);
    }
    return item;
  });
}

/** Page size: MaxResults (≥ 1) capped at FSx's page limit of 50. */
export function pageSize(input: Input, cap = 50): number {
  const value = input.MaxResults;
  if (value === undefined || value === null) return cap;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw badRequest(`MaxResults must be a positive integer; got ${JSON.stringify(value)}.`);
  }
  return Math.min(value, cap);
}

export function checkTagKey(key: unknown, where: string): string {
  if (typeof key !== 'string') throw badRequest(`${where} Key must be a string.`);
  if (key.length < 1 || key.length > 128) throw badRequest(`${where} Key '${key}' must be 1 to 128 characters long.`);
  if (!TAG_TEXT.test(key)) throw badRequest(`${where} Key '${key}' must match the pattern ${TAG_TEXT.source}.`);
  if (key.toLowerCase().startsWith('aws:')) throw badRequest(`${where} Key '${key}' uses the reserved prefix 'aws:'.`);
  return key;
}

/** Tags: 1–50, keys 1–128 and values 0–256 characters from FSx's tag alphabet, keys unique. */
export function optTags(input: Input, name = 'Tags'): Tag[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw badRequest(`${name} must be a list of {Key, Value}.`);
  if (value.length < 1 || value.length > 50) {
    throw badRequest(`${name} must contain between 1 and 50 tags; ${value.length} were given.`);
  }
  const seen = new Set<string>();
  return value.map((tag: unknown, i) => {
    const where = `${name}[${i}]`;
    if (typeof tag !== 'object' || tag === null) throw badRequest(`${where} must be an object with Key and Value.`);
    const { Key, Value } = tag as { Key?: unknown; Value?: unknown };
    const key = checkTagKey(Key, where);
    if (typeof Value !== 'string') throw badRequest(`${where} Value must be a string.`);
    if (Value.length > 256) throw badRequest(`${where} Value for key '${key}' must be at most 256 characters long.`);
    if (!TAG_TEXT.test(Value)) throw badRequest(`${where} Value for key '${key}' must match the pattern ${TAG_TEXT.source}.`);
    if (seen.has(key)) throw badRequest(`${name} contains the key '${key}' more than once.`);
    seen.add(key);
    return { Key: key, Value };
  });
}

export function isTagText(text: string): boolean {
  return TAG_TEXT.test(text);
}

/** Opaque page cursors: base64 of the sort key of the last item returned. */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  input: Input,
): { page: T[]; nextToken?: string } {
  const size = pageSize(input);
  const after = decodeNextToken(input);
  const rest = after === undefined ? items : items.filter((item) => keyOf(item) > after);
  const page = rest.slice(0, size);
  const last = page[page.length - 1];
  if (rest.length > size && last !== undefined) {
    return { page, nextToken: Buffer.from(JSON.stringify({ after: keyOf(last) })).toString('base64') };
  }
  return { page };
}

function decodeNextToken(input: Input): string | undefined {
  const token = optString(input, 'NextToken');
  if (token === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { after?: unknown }).after === 'string') {
      return (parsed as { after: string }).after;
    }
  } catch {
    // fall through: not one of ours
  }
  throw badRequest(`Invalid NextToken '${token}'.`);
}
