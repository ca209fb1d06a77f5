// Error classes whose literal names are the contract with the state machine's Retry/Catch.
// Retryable errors make a Task fail so that Step Functions retries it; terminal conditions of
// a single target are recorded on that target and never thrown.

/** A dependency (DynamoDB, FSx) failed in a way that a later attempt may not: retry the Task. */
export class TransientError extends Error {
  override readonly name = 'TransientError' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The state handed to a Task does not have the expected shape: a bug, never retried. */
export class InvalidTaskInputError extends Error {
  override readonly name = 'InvalidTaskInputError' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The runtime configuration (environment) is incomplete or malformed. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError' as const;
  constructor(message: string) {
    super(message);
  }
}

/** Names the ASL may list in ErrorEquals (checked by a test against the state machine file). */
export const stateMachineErrorNames = ['TransientError', 'InvalidTaskInputError', 'ConfigurationError'] as const;

export function errorName(e: unknown): string {
  return e instanceof Error ? e.name : 'Error';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
