export type BatchFileErrorCode = 'FILE_UNREADABLE' | 'HEADER_MISSING';

/** The file as a whole cannot be imported; row-level defects are reported per row instead. */
export class BatchFileError extends Error {
  constructor(
    readonly code: BatchFileErrorCode,
    message: string,
    /** For HEADER_MISSING: the Chinese header of the (first) missing required column. */
    readonly column?: string,
    /** The parser's own error, kept for the logs. */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'BatchFileError';
  }
}
