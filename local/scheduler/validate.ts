// Request validation for the Scheduler emulator. The SDK checks nothing client-side, so the
// service's own rules (name patterns, lengths, ranges, expression and time zone syntax) live here
// and answer ValidationException with a message naming the field and the rule.
import { z } from 'zod';
import { isValidTimeZone, validateScheduleExpression } from '../../functions/shared/domain/schedule-expression.js';
import { validation } from './errors.js';

export const NAME_PATTERN = /^[0-9a-zA-Z-_.]+$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const ARN = /^arn:aws(-[a-z]+)?:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:\S+$/;
const SQS_ARN = /^arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]+$/;

/** A regex check whose message says what was expected and what came. */
const matching = (expected: string) =>
  ({ error: (issue: { input?: unknown }) => `${expected}, got ${JSON.stringify(issue.input)}` }) as const;

const name = () =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(NAME_PATTERN, matching(`must match ${NAME_PATTERN.source} (letters, digits, - _ .)`));

/** Timestamps travel as epoch seconds (fractions allowed). */
const epochSeconds = z
  .number()
  .refine(Number.isFinite, { error: 'must be a timestamp' })
  .transform((seconds) => new Date(Math.round(seconds * 1000)));

const flexibleTimeWindowSchema = z
  .object({
    Mode: z.enum(['OFF', 'FLEXIBLE']),
    MaximumWindowInMinutes: z.int().min(1).max(1440).optional(),
  })
  .superRefine((window, ctx) => {
    if (window.Mode === 'FLEXIBLE' && window.MaximumWindowInMinutes === undefined) {
      ctx.addIssue({ code: 'custom', path: ['MaximumWindowInMinutes'], message: 'is required when Mode is FLEXIBLE' });
    }
    if (window.Mode === 'OFF' && window.MaximumWindowInMinutes !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['MaximumWindowInMinutes'], message: 'must not be set when Mode is OFF' });
    }
  });

const retryPolicySchema = z.object({
  MaximumEventAgeInSeconds: z.int().min(60).max(86_400).optional(),
  MaximumRetryAttempts: z.int().min(0).max(185).optional(),
});

// Loose: the other target parameter blocks (EcsParameters, SqsParameters, ...) are kept as sent.
const targetSchema = z.looseObject({
  Arn: z
    .string()
    .min(1)
    .max(1600)
    .regex(ARN, matching('must be an ARN (arn:aws:<service>:<region>:<account>:<resource>)')),
  RoleArn: z
    .string()
    .min(1)
    .max(1600)
    .regex(ROLE_ARN, matching('must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)')),
  Input: z.string().min(1).max(8192).optional(),
  RetryPolicy: retryPolicySchema.optional(),
  DeadLetterConfig: z
    .object({
      Arn: z
        .string()
        .min(1)
        .max(1600)
        .regex(SQS_ARN, matching('must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<queue>)'))
        .optional(),
    })
    .optional(),
});

const scheduleBodySchema = z
  .object({
    ScheduleExpression: z.string().min(1).max(256),
    ScheduleExpressionTimezone: z.string().min(1).max(50).optional(),
    Target: targetSchema,
    FlexibleTimeWindow: flexibleTimeWindowSchema,
    GroupName: name().optional(),
    StartDate: epochSeconds.optional(),
    EndDate: epochSeconds.optional(),
    Description: z.string().max(512).optional(),
    State: z.enum(['ENABLED', 'DISABLED']).optional(),
    KmsKeyArn: z.string().min(1).max(2048).optional(),
    ClientToken: z.string().min(1).max(64).optional(),
    ActionAfterCompletion: z.enum(['NONE', 'DELETE']).optional(),
  })
  .superRefine((body, ctx) => {
    const problem = validateScheduleExpression(body.ScheduleExpression);
    if (problem) {
      ctx.addIssue({ code: 'custom', path: [], message: `Invalid Schedule Expression ${body.ScheduleExpression}: ${problem}.` });
    }
    const zone = body.ScheduleExpressionTimezone;
    if (zone !== undefined && !isValidTimeZone(zone)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `Invalid ScheduleExpressionTimezone ${zone}: use an IANA time zone name such as Europe/Berlin or UTC.`,
      });
    }
  });

export type ScheduleBody = z.output<typeof scheduleBodySchema>;
export type ScheduleTargetInput = z.output<typeof targetSchema>;

const tagsSchema = z
  .array(z.object({ Key: z.string().min(1).max(128), Value: z.string().min(1).max(256) }))
  .max(200);

const groupBodySchema = z.object({ Tags: tagsSchema.optional(), ClientToken: z.string().min(1).max(64).optional() });
const tagResourceBodySchema = z.object({ Tags: tagsSchema });

export type Tag = z.output<typeof tagsSchema>[number];

const listQuerySchema = z.object({
  NamePrefix: name().optional(),
  ScheduleGroup: name().optional(),
  State: z.enum(['ENABLED', 'DISABLED']).optional(),
  NextToken: z.string().min(1).max(2048).optional(),
  MaxResults: z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.int().min(1).max(100))
    .optional(),
});

export type ListQuery = z.output<typeof listQuerySchema>;

export function parseScheduleBody(body: unknown): ScheduleBody {
  return parse(scheduleBodySchema, body);
}

export function parseGroupBody(body: unknown): z.output<typeof groupBodySchema> {
  return parse(groupBodySchema, body);
}

export function parseTagResourceBody(body: unknown): z.output<typeof tagResourceBodySchema> {
  return parse(tagResourceBodySchema, body);
}

/** ListSchedules / ListScheduleGroups query parameters. */
export function parseListQuery(params: URLSearchParams): ListQuery {
  const raw: Record<string, string> = {};
  for (const key of ['NamePrefix', 'ScheduleGroup', 'State', 'NextToken', 'MaxResults']) {
    const value = params.get(key);
    if (value !== null) raw[key] = value;
  }
  return parse(listQuerySchema, raw);
}

/** A schedule or group name from the path or the `groupName` query parameter. */
export function checkName(value: string, field: string): string {
  return parse(name(), value, [field]);
}

function parse<S extends z.ZodType>(schema: S, input: unknown, prefix: readonly PropertyKey[] = []): z.output<S> {
  const result = schema.safeParse(input, { error: describeIssue });
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  if (!issue) throw validation('The request is not valid.');
  const path = formatPath([...prefix, ...issue.path]);
  throw validation(path ? `${path} ${issue.message}` : issue.message);
}

/** `['Target', 'RetryPolicy', 'MaximumRetryAttempts']` → `Target.RetryPolicy.MaximumRetryAttempts`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : String(segment))).join('.').replace(/\.\[/g, '[');
}

function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`}, got ${JSON.stringify(issue.input)}`;
    case 'too_small':
      return issue.origin === 'string'
        ? `must be at least ${issue.minimum} characters long`
        : issue.origin === 'array'
          ? `must list at least ${issue.minimum} items`
          : `must be at least ${issue.minimum}, got ${JSON.stringify(issue.input)}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${issue.maximum} characters long`
        : issue.origin === 'array'
          ? `must list at most ${issue.maximum} items`
          : `must be at most ${issue.maximum}, got ${JSON.stringify(issue.input)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}, got ${JSON.stringify(issue.input)}`;
    case 'invalid_format':
      return undefined;
    default:
      return undefined;
  }
}
