// The CLI's exit codes and the errors that carry them, and how SDK and network errors become
// messages that say what to do.

export const EXIT = {
  /** Done, and what was asked about is OK. */
  OK: 0,
  /** What was asked about is not OK: an invalid policy file, a run that did not succeed. */
  NOT_OK: 1,
  /** The command line is wrong, or a confirmation was refused. */
  USAGE: 2,
  /** An unknown policy or run. */
  NOT_FOUND: 3,
  /** The environment: no credentials or Region, stack or table not deployed, sandbox not running. */
  ENVIRONMENT: 4,
} as const;

export const exitCodesHelp = `Exit codes:
  0  OK
  1  what was asked about is not OK (an invalid policy file, a run that did not succeed)
  2  usage error (bad flag, missing argument, refused confirmation)
  3  not found (unknown policy or run)
  4  environment (no credentials, stack or table not deployed, sandbox not running)`;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.USAGE, options);
  }
}

export class NotFoundError extends CliError {
  override readonly name = 'NotFoundError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.NOT_FOUND, options);
  }
}

export class EnvironmentError extends CliError {
  override readonly name = 'EnvironmentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.ENVIRONMENT, options);
  }
}

/** Where the command was talking to, so a failure can say what to do about it. */
export interface ErrorContext {
  mode: 'aws' | 'local';
  stage: string;
  region?: string;
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

export const SANDBOX_HINT = 'start it with npm start -- --serve';

/** Turns an error from the SDK or the network into a CliError with the exit code and a hint. */
export function explainError(e: unknown, ctx?: ErrorContext): CliError {
  if (e instanceof CliError) return e;
  const name = e instanceof Error ? e.name : '';
  const message = e instanceof Error ? e.message : String(e);
  const code = networkCode(e);
  if (code) {
    if (ctx?.mode === 'local') return new EnvironmentError(`the sandbox does not answer (${code}): ${SANDBOX_HINT}`, { cause: e });
    return new EnvironmentError(`cannot reach AWS (${code}): check the network and the Region${ctx?.region ? ` (${ctx.region})` : ''}`, { cause: e });
  }
  if (CREDENTIAL_ERRORS.has(name) || /could not load credentials/i.test(message)) {
    return new EnvironmentError(`no usable AWS credentials (${message}): configure credentials (aws configure, AWS_PROFILE) or use --local`, { cause: e });
  }
  if (/region is missing/i.test(message)) {
    return new EnvironmentError('no AWS Region: pass --region, set AWS_REGION, or configure one (aws configure) — or use --local', { cause: e });
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return new EnvironmentError(`access denied: ${message}`, { cause: e });
  }
  return new CliError(`${name && name !== 'Error' ? `${name}: ` : ''}${message}`, EXIT.NOT_OK, { cause: e });
}

function networkCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const errors = (cur as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      const inner = errors.map(networkCode).find(Boolean);
      if (inner) return inner;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
