// Scheduler service errors as the emulator sends them: the name travels in `x-amzn-errortype`
// and `__type`, the text in `Message`, with the HTTP status the service's model gives each error.

export type SchedulerErrorCode =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'ConflictException'
  | 'ServiceQuotaExceededException'
  | 'ThrottlingException'
  | 'InternalServerException'
  | 'UnknownOperationException';

const STATUS: Readonly<Record<SchedulerErrorCode, number>> = {
  ValidationException: 400,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ServiceQuotaExceededException: 402,
  ThrottlingException: 429,
  InternalServerException: 500,
  UnknownOperationException: 404,
};

export class SchedulerServiceError extends Error {
  readonly status: number;

  constructor(
    /** The Scheduler error shape name, e.g. ConflictException. */
    readonly code: SchedulerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SchedulerServiceError';
    this.status = STATUS[code];
  }
}

export const validation = (message: string) => new SchedulerServiceError('ValidationException', message);

export const scheduleNotFound = (group: string, name: string) =>
  new SchedulerServiceError('ResourceNotFoundException', `Schedule ${name} does not exist in schedule group ${group}.`);

export const groupNotFound = (group: string) =>
  new SchedulerServiceError('ResourceNotFoundException', `Schedule group ${group} does not exist.`);

export const resourceNotFound = (arn: string) =>
  new SchedulerServiceError('ResourceNotFoundException', `Resource ${arn} does not exist.`);

export const scheduleExists = (group: string, name: string) =>
  new SchedulerServiceError('ConflictException', `Schedule ${name} already exists in schedule group ${group}.`);

export const groupExists = (group: string) =>
  new SchedulerServiceError('ConflictException', `Schedule group ${group} already exists.`);

export const quotaExceeded = (message: string) => new SchedulerServiceError('ServiceQuotaExceededException', message);

export const internalServerError = (message = 'Unexpected error during processing of request.') =>
  new SchedulerServiceError('InternalServerException', message);

export const unknownOperation = (method: string, path: string) =>
  new SchedulerServiceError('UnknownOperationException', `No Scheduler operation at ${method} ${path} in the emulator.`);
