// FSx service errors as the emulator sends them: the name becomes `__type` and
// `x-amzn-errortype`, extra members (Parameter, Limit, ResourceARN) are copied into the body.

export class FsxServiceError extends Error {
  constructor(
    /** The FSx error shape name, e.g. BackupInProgress. */
    readonly code: string,
    message: string,
    readonly status: 400 | 500 = 400,
    readonly members: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'FsxServiceError';
  }
}

export const badRequest = (message: string) => new FsxServiceError('BadRequest', message);

export const unsupportedOperation = (message: string) => new FsxServiceError('UnsupportedOperation', message);

export const fileSystemNotFound = (id: string) =>
  new FsxServiceError('FileSystemNotFound', `File system '${id}' does not exist.`);

export const volumeNotFound = (id: string) => new FsxServiceError('VolumeNotFound', `Volume '${id}' does not exist.`);

export const backupNotFound = (id: string) => new FsxServiceError('BackupNotFound', `Backup '${id}' does not exist.`);

export const resourceNotFound = (arn: string) =>
  new FsxServiceError('ResourceNotFound', `Resource '${arn}' does not exist.`, 400, { ResourceARN: arn });

export const backupInProgress = () =>
  new FsxServiceError(
    'BackupInProgress',
    'Another backup is already under way. Wait for completion before initiating additional backups of this file system.',
  );

export const incompatibleParameter = (parameter: string, message: string) =>
  new FsxServiceError('IncompatibleParameterError', message, 400, { Parameter: parameter });

export const serviceLimitExceeded = (limit: string, message: string) =>
  new FsxServiceError('ServiceLimitExceeded', message, 400, { Limit: limit });

export const internalServerError = (message = 'An internal server error occurred.') =>
  new FsxServiceError('InternalServerError', message, 500);

export const throttling = () => new FsxServiceError('ThrottlingException', 'Rate exceeded');

/** AWS JSON services answer an unknown X-Amz-Target with this name. */
export const unknownOperation = (target: string) =>
  new FsxServiceError('UnknownOperationException', `Operation '${target}' is not supported by the FSx emulator.`);

export const serializationError = (message: string) => new FsxServiceError('SerializationException', message);
