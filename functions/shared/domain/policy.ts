// The backup policy format: the zod schema operators' items are checked against, and
// parsePolicy, which turns any input into a Policy with defaults applied or a list of
// human-readable errors, each with the path of the field it is about.
import { z } from 'zod';
import { isValidTimeZone, scheduleExpressionKind, validateScheduleExpression } from './schedule-expression.js';
import { MAX_POLICY_BACKUP_TAGS, isReservedTagKey, tagKeyProblem, tagValueProblem } from './tokens.js';

export interface PolicyError {
  /** Where the problem is, e.g. `schedule.expression`, `targets.ids[1]`, `backupTags.team`. */
  path: string;
  message: string;
}

export type ParsePolicyResult = { ok: true; policy: Policy } | { ok: false; errors: PolicyError[] };

/**
 * Attributes the system itself writes on a policy item in DynamoDB. parsePolicy accepts and
 * drops exactly these at the top level; any other unknown field is an error.
 */
export const POLICY_BOOKKEEPING_ATTRIBUTES = ['updatedAt', 'scheduleStatus', 'version'] as const;

export const FILE_SYSTEM_TYPES = ['WINDOWS', 'LUSTRE', 'ONTAP', 'OPENZFS'] as const;

const POLICY_ID = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
/** FileSystemId (11-21 characters) or ONTAP VolumeId (23 characters). */
const TARGET_ID = /^(?:fs-[0-9a-f]{8,18}|fsvol-[0-9a-f]{17})$/;

// ---------------------------------------------------------------------------------------------
// Schema

const targetId = z
  .string()
  .regex(TARGET_ID, {
    error: (iss) => {
      const id = String(iss.input);
      const hint = id !== id.toLowerCase() && TARGET_ID.test(id.toLowerCase()) ? ' (hex digits must be lower case)' : '';
      return `"${id}" is not a file system id (fs- and 8-18 hex digits) or an ONTAP volume id (fsvol- and 17 hex digits)${hint}`;
    },
  });

const targetIdList = z.array(targetId).superRefine((ids, ctx) => {
  const firstIndex = new Map<string, number>();
  ids.forEach((id, index) => {
    const first = firstIndex.get(id);
    if (first === undefined) firstIndex.set(id, index);
    else ctx.addIssue({ code: 'custom', path: [index], message: `"${id}" is listed twice (first at index ${first})` });
  });
});

/**
 * A map of FSx tags, each key and value checked against FSx's tag rules. The checks run even
 * when a value has the wrong type, so one pass reports every problem in the map.
 */
function tagMap(options: { forBackups: boolean }) {
  const value = z.string({
    error: (iss) => (iss.input === undefined ? undefined : `tag values must be text, got ${describeInput(iss.input)} (quote it in YAML)`),
  });
  return z.record(z.string(), value).superRefine(
    (tags, ctx) => {
      const entries = Object.entries(tags);
      for (const [key, tagValue] of entries) {
        const problem =
          tagKeyProblem(key) ??
          (options.forBackups && isReservedTagKey(key)
            ? `tag key "${key}" is reserved: fsx-backup sets Name and fsx-backup:* itself`
            : undefined) ??
          (typeof tagValue === 'string' ? tagValueProblem(tagValue) : undefined);
        if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
      }
      if (options.forBackups && entries.length > MAX_POLICY_BACKUP_TAGS) {
        ctx.addIssue({
          code: 'custom',
          message: `at most ${MAX_POLICY_BACKUP_TAGS} tags (FSx allows 50 per backup and fsx-backup adds 5), got ${entries.length}`,
        });
      }
    },
    { when: (payload) => isPlainObject(payload.value) },
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const scheduleSchema = z
  .strictObject({
    expression: z
      .string()
      .superRefine((expression, ctx) => {
        const problem = validateScheduleExpression(expression);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
        else if (scheduleExpressionKind(expression) === 'at') {
          ctx.addIssue({
            code: 'custom',
            message: 'a policy needs a recurring schedule: use cron(...) or rate(...); at(...) runs only once',
          });
        }
      })
      .describe('EventBridge Scheduler expression: cron(minutes hours day-of-month month day-of-week year) or rate(value unit)'),
    timezone: z
      .string()
      .refine(isValidTimeZone, { error: (iss) => `"${String(iss.input)}" is not an IANA time zone (e.g. Europe/Berlin, UTC)` })
      .default('UTC')
      .describe('IANA time zone the cron expression is read in'),
    startWindowMinutes: z
      .int()
      .min(1)
      .max(1440)
      .default(60)
      .describe('Minutes after the scheduled time within which every backup must have started'),
    completionWindowMinutes: z
      .int()
      .min(1)
      .max(10080)
      .default(720)
      .describe('Minutes after the scheduled time within which every backup must have finished; at least startWindowMinutes'),
    flexibleWindowMinutes: z
      .int()
      .min(1)
      .max(1440)
      .optional()
      .describe('Let EventBridge Scheduler start the run up to this many minutes after the scheduled time (flexible time window); off when absent'),
  })
  .superRefine((schedule, ctx) => {
    if (schedule.flexibleWindowMinutes !== undefined && schedule.flexibleWindowMinutes >= schedule.startWindowMinutes) {
      ctx.addIssue({
        code: 'custom',
        path: ['flexibleWindowMinutes'],
        message: `must be less than startWindowMinutes (${schedule.startWindowMinutes}), or runs could start after their start window closed; got ${schedule.flexibleWindowMinutes}`,
      });
    }
    if (schedule.completionWindowMinutes < schedule.startWindowMinutes) {
      ctx.addIssue({
        code: 'custom',
        path: ['completionWindowMinutes'],
        message: `must be at least startWindowMinutes (${schedule.startWindowMinutes}), got ${schedule.completionWindowMinutes}`,
      });
    }
  });

const excludeSchema = z
  .strictObject({
    ids: targetIdList.default(() => []).describe('Targets never backed up by this policy'),
    tags: tagMap({ forBackups: false })
      .default(() => ({}))
      .describe('A resource carrying ANY of these tags (key and value) is not backed up'),
  })
  .describe('Resources to leave out, even when ids or tags select them');

const targetsSchema = z
  .strictObject({
    ids: targetIdList.default(() => []).describe('File systems (fs-...) and ONTAP volumes (fsvol-...) to back up; an ONTAP file system id stands for its volumes'),
    tags: tagMap({ forBackups: false })
      .default(() => ({}))
      .describe('Back up every file system (for ONTAP: every volume) carrying ALL of these tags'),
    fileSystemTypes: z
      .array(z.enum(FILE_SYSTEM_TYPES))
      .min(1)
      .superRefine((types, ctx) => {
        types.forEach((type, index) => {
          if (types.indexOf(type) !== index) ctx.addIssue({ code: 'custom', path: [index], message: `${type} is listed twice` });
        });
      })
      .optional()
      .describe('Only back up targets on file systems of these types, however they were selected'),
    exclude: excludeSchema.default(() => ({ ids: [], tags: {} })),
  })
  .superRefine((targets, ctx) => {
    if (targets.ids.length === 0 && Object.keys(targets.tags).length === 0) {
      ctx.addIssue({ code: 'custom', message: 'needs ids or tags (or both); a policy with neither would back up nothing' });
    }
    targets.exclude.ids.forEach((id, index) => {
      if (targets.ids.includes(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['exclude', 'ids', index],
          message: `"${id}" is both listed in targets.ids and excluded; remove it from one of them`,
        });
      }
    });
  });

export const policySchema = z
  .strictObject({
    policyId: z
      .string()
      .regex(POLICY_ID, {
        error: (iss) =>
          `"${String(iss.input)}" is not a policy id: use 1-40 lower-case letters, digits and hyphens, starting and ending with a letter or digit`,
      })
      .describe('Unique id of the policy; names its schedule, runs and backups'),
    description: z.string().min(1).max(256).optional().describe('Free text for people'),
    enabled: z.boolean().default(true).describe('A disabled policy keeps its schedule, switched off'),
    schedule: scheduleSchema,
    targets: targetsSchema,
    backupTags: tagMap({ forBackups: true })
      .default(() => ({}))
      .describe('Extra tags put on every backup this policy creates'),
    maxConcurrency: z.int().min(1).max(50).default(10).describe('At most this many CreateBackup calls of a run in flight at once'),
    rpoHours: z
      .number()
      .min(1)
      .max(8760)
      .optional()
      .describe('Recovery point objective: alarm when a target has had no successful backup for longer than this many hours; no RPO check when absent'),
  })
  .meta({ title: 'fsx-backup policy', description: 'A backup policy: what to back up, when, and how the backups are tagged.' });

/** A valid policy with every default applied. */
export type Policy = z.output<typeof policySchema>;
/** A policy as an operator writes it: fields with defaults may be left out. */
export type PolicyInput = z.input<typeof policySchema>;

/**
 * JSON Schema of the policy as written (defaults make fields optional), for editors and for
 * policy-schema.json. Cross-field rules, expression syntax, time zones and tag rules are only
 * checked by parsePolicy.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12' });
  const bookkeeping = Object.fromEntries(
    POLICY_BOOKKEEPING_ATTRIBUTES.map((name) => [name, { description: 'Written by fsx-backup on the DynamoDB item; ignored when the policy is read' }]),
  );
  return { ...schema, properties: { ...(schema.properties ?? {}), ...bookkeeping } };
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Validates a policy from any source (YAML, JSON, an unmarshalled DynamoDB item). */
export function parsePolicy(input: unknown): ParsePolicyResult {
  const result = policySchema.safeParse(withoutBookkeeping(input), { error: describeIssue });
  if (result.success) return { ok: true, policy: result.data };
  return { ok: false, errors: result.error.issues.flatMap(toPolicyErrors) };
}

/** One line per error: `schedule.timezone: "Europe/Berln" is not an IANA time zone ...`. */
export function formatPolicyErrors(errors: readonly PolicyError[]): string {
  return errors.map(({ path, message }) => (path ? `${path}: ${message}` : message)).join('\n');
}

function withoutBookkeeping(input: unknown): unknown {
  if (!isPlainObject(input)) return input;
  const copy: Record<string, unknown> = { ...input };
  for (const key of POLICY_BOOKKEEPING_ATTRIBUTES) delete copy[key];
  return copy;
}

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(policySchema.shape),
  schedule: Object.keys(scheduleSchema.shape),
  targets: Object.keys(targetsSchema.shape),
  'targets.exclude': Object.keys(excludeSchema.shape),
};

function toPolicyErrors(issue: z.core.$ZodIssue): PolicyError[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = KNOWN_KEYS[path] ?? [];
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      message: unknownFieldMessage(key, known),
    }));
  }
  return [{ path, message: issue.message }];
}

function unknownFieldMessage(key: string, known: readonly string[]): string {
  const suggestion = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => editDistance(k, key) <= 2);
  if (suggestion) return `unknown field "${key}" (did you mean "${suggestion}"?)`;
  return `unknown field "${key}"; allowed fields here: ${known.join(', ')}`;
}

/** `['targets', 'ids', 1]` → `targets.ids[1]`; keys that are not plain names are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** Plain-language messages for zod's built-in checks; schema-specific messages take precedence. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${describeExpected(issue.expected)}, got ${describeInput(issue.input)}`;
    case 'too_small':
      return describeBound('at least', issue.origin, issue.minimum);
    case 'too_big':
      return describeBound('at most', issue.origin, issue.maximum);
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}; got ${describeInput(issue.input)}`;
    default:
      return undefined;
  }
}

function describeBound(relation: string, origin: string, bound: number | bigint): string | undefined {
  if (origin === 'string') return bound === 1 && relation === 'at least' ? 'must not be empty' : `must be ${relation} ${bound} characters`;
  if (origin === 'array') return bound === 1 && relation === 'at least' ? 'must list at least one entry (or be left out)' : `must list ${relation} ${bound} entries`;
  if (origin === 'number' || origin === 'int') return `must be ${relation} ${bound}`;
  return undefined;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'string':
      return 'text';
    case 'int':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a map of fields';
    default:
      return expected;
  }
}

function describeInput(input: unknown): string {
  if (input === null) return 'null (an empty value)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'string') return JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input);
  if (typeof input === 'number') return `the number ${input}`;
  if (typeof input === 'boolean') return String(input);
  if (typeof input === 'object') return 'a map';
  return typeof input;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] ?? 0;
      const left = previous[j - 1] ?? 0;
      previous[j] = Math.min(above + 1, left + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}
