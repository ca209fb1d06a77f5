// What `policies put` would change on a policy item: field by field, leaves compared by value.
import { POLICY_BOOKKEEPING_ATTRIBUTES, formatPath, policySchema } from '../functions/shared/domain/policy.js';

export interface FieldChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface PolicyDiff {
  change: 'new' | 'changed' | 'unchanged';
  fields: FieldChange[];
}

/** Compares the policy in a file with the item in the table, leaving the system's attributes out. */
export function diffPolicy(item: Record<string, unknown>, existing: Record<string, unknown> | undefined): PolicyDiff {
  if (!existing) return { change: 'new', fields: [...leaves(item)].map(([path, after]) => ({ path, after })) };
  const stored = withoutBookkeeping(existing);
  const before = leaves(stored);
  const after = leaves(item);
  const fields: FieldChange[] = [];
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(path);
    const a = after.get(path);
    if (JSON.stringify(b) !== JSON.stringify(a)) fields.push({ path, ...(b !== undefined ? { before: b } : {}), ...(a !== undefined ? { after: a } : {}) });
  }
  fields.sort((x, y) => x.path.localeCompare(y.path));
  return { change: fields.length ? 'changed' : 'unchanged', fields };
}

export function withoutBookkeeping(item: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...item };
  for (const key of POLICY_BOOKKEEPING_ATTRIBUTES) delete copy[key];
  return copy;
}

/** `schedule.timezone` → value; lists and empty maps are leaves. */
function leaves(value: Record<string, unknown>, path: PropertyKey[] = [], out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [key, v] of Object.entries(value)) {
    const here = [...path, key];
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0) leaves(v as Record<string, unknown>, here, out);
    else out.set(formatPath(here), v);
  }
  return out;
}

export function formatChange(f: FieldChange): string {
  const show = (v: unknown) => JSON.stringify(v);
  if (!('before' in f)) return `+ ${f.path}: ${show(f.after)}`;
  if (!('after' in f)) return `- ${f.path}: ${show(f.before)}`;
  return `~ ${f.path}: ${show(f.before)} → ${show(f.after)}`;
}

const FIELD_ORDER: Record<string, readonly string[]> = {
  schedule: ['expression', 'timezone', 'startWindowMinutes', 'completionWindowMinutes', 'flexibleWindowMinutes'],
  targets: ['ids', 'tags', 'fileSystemTypes', 'exclude'],
  'targets.exclude': ['ids', 'tags'],
};

/** The item's fields in the order docs/policy.md lists them (DynamoDB returns them in any order). */
export function inPolicyOrder(item: Record<string, unknown>, path = ''): Record<string, unknown> {
  const order = path === '' ? Object.keys(policySchema.shape) : (FIELD_ORDER[path] ?? []);
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  const keys = Object.keys(item).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return Object.fromEntries(
    keys.map((k) => {
      const v = item[k];
      const sub = path ? `${path}.${k}` : k;
      return [k, typeof v === 'object' && v !== null && !Array.isArray(v) && sub in FIELD_ORDER ? inPolicyOrder(v as Record<string, unknown>, sub) : v];
    }),
  );
}
