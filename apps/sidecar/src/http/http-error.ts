/**
 * Errors of the HTTP layer itself, with codes the domain does not have (`ROUTE_NOT_FOUND`,
 * `TASK_NOT_FOUND`) or a status chosen here; rendered in the same envelope as every other error.
 */

/**
 * An HTTP error: status, stable code, message, details.
 * @public
 */
export class HttpError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Stable code (a contracts code, or one of the HTTP layer's own). */
  readonly code: string;
  /** Structured details. */
  readonly details: Readonly<Record<string, unknown>>;
  /** Creates the error. */
  constructor(status: number, code: string, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}
