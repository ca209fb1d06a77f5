// Policy files on disk (YAML or JSON, one policy each): reading them, from files or directories,
// and checking them with parsePolicy, without any AWS call.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { POLICY_BOOKKEEPING_ATTRIBUTES, parsePolicy, type PolicyError } from '../functions/shared/domain/policy.js';
import { UsageError } from './errors.js';

export interface PolicyFile {
  file: string;
  /** The policy as written in the file, without the attributes the system keeps on the item. */
  item?: Record<string, unknown>;
  policyId?: string;
  errors: PolicyError[];
}

const POLICY_FILE = /\.(ya?ml|json)$/i;

/** The policy files named: files as given, directories' .yaml/.yml/.json files in name order. */
export function listPolicyFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (e: unknown) {
      throw new UsageError(`${path}: no such file or directory`, { cause: e });
    }
    if (!isDir) {
      files.push(path);
      continue;
    }
    const inDir = readdirSync(path).filter((f) => POLICY_FILE.test(f)).sort();
    if (inDir.length === 0) throw new UsageError(`${path}: no policy files (.yaml, .yml, .json) in this directory`);
    files.push(...inDir.map((f) => join(path, f)));
  }
  return files;
}

/** Reads and validates every file; a policyId used by two files is an error in the second. */
export function readPolicyFiles(paths: string[]): PolicyFile[] {
  const results = listPolicyFiles(paths).map(readPolicyFile);
  const seen = new Map<string, string>();
  for (const r of results) {
    if (!r.policyId || r.errors.length) continue;
    const first = seen.get(r.policyId);
    if (first) r.errors.push({ path: 'policyId', message: `"${r.policyId}" is also the policyId in ${first}; each policy needs its own id` });
    else seen.set(r.policyId, r.file);
  }
  return results;
}

function readPolicyFile(file: string): PolicyFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e: unknown) {
    return { file, errors: [{ path: '', message: `cannot read the file: ${e instanceof Error ? e.message : String(e)}` }] };
  }
  const parsed = parseText(file, text);
  if ('error' in parsed) return { file, errors: [{ path: '', message: parsed.error }] };
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { file, errors: [{ path: '', message: 'a policy file holds one policy: a mapping of fields (policyId, schedule, targets, ...)' }] };
  }
  const item: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of POLICY_BOOKKEEPING_ATTRIBUTES) delete item[key];
  const result = parsePolicy(item);
  const policyId = typeof item.policyId === 'string' ? item.policyId : undefined;
  return { file, item, policyId, errors: result.ok ? [] : result.errors };
}

function parseText(file: string, text: string): { value: unknown } | { error: string } {
  if (/\.json$/i.test(file)) {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (e: unknown) {
      return { error: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) return { error: `not valid YAML: ${first.message.split('\n')[0]}` };
  return { value: doc.toJS() as unknown };
}

/** `file: path: reason`, one line per error, as compilers print them. */
export function formatFileErrors(f: PolicyFile): string[] {
  return f.errors.map((e) => `${f.file}: ${e.path ? `${e.path}: ` : ''}${e.message}`);
}
