/**
 * Maps any thrown value to the HTTP error envelope of HTTP-API.md.
 */
import { HTTP_ERROR_STATUS, RuntimeError, type ErrorBody, type ErrorCode } from '@runtime/contracts';

/**
 * An error response: status, body and headers.
 * @public
 */
export interface ErrorResponse {
  /** HTTP status. */
  readonly status: number;
  /** `{error: {code, message, details}}`. */
  readonly body: ErrorBody;
  /** Extra headers (`Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;
}

interface FastifyLikeError {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly message?: unknown;
}

function envelope(status: number, code: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorResponse {
  return { status, body: { error: { code, message, details } }, headers: {} };
}

function fromFastify(error: FastifyLikeError): ErrorResponse | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return envelope(413, 'PAYLOAD_TOO_LARGE', 'Request body is larger than the configured limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? envelope(415, 'UNSUPPORTED_MEDIA_TYPE', 'Request body must be application/json.')
        : envelope(400, 'VALIDATION_FAILED', 'Content-Length does not match the body.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return envelope(400, 'VALIDATION_FAILED', 'Request body is empty; a JSON object is required.', { issues: [{ path: '', message: 'empty body' }] });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return envelope(400, 'VALIDATION_FAILED', 'Request body is not valid JSON.', { issues: [{ path: '', message: 'invalid JSON' }] });
    default:
      break;
  }
  if (error instanceof SyntaxError) {
    return envelope(400, 'VALIDATION_FAILED', 'Request body is not valid JSON.', { issues: [{ path: '', message: 'invalid JSON' }] });
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : undefined;
  if (status === 413) return envelope(413, 'PAYLOAD_TOO_LARGE', 'Request body is larger than the configured limit.');
  if (status === 415) return envelope(415, 'UNSUPPORTED_MEDIA_TYPE', 'Request body must be application/json.');
  if (status !== undefined && status >= 400 && status < 500) {
    const message = typeof error.message === 'string' && error.message !== '' ? error.message : 'Bad request.';
    return envelope(400, 'VALIDATION_FAILED', message);
  }
  return undefined;
}

/**
 * The response for `error`: a {@link RuntimeError}'s code decides the status
 * (`HTTP_ERROR_STATUS`); fastify's parser errors map to 400/413/415; anything else is a 500
 * `INTERNAL` without internals in the body.
 * @public
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (RuntimeError.isInstance(error)) {
    const status = HTTP_ERROR_STATUS[error.code];
    const headers: Record<string, string> = {};
    if (status === 429 || status === 503) {
      const retryAfterMs = error.details['retryAfterMs'];
      if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs)) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
      else if (status === 429) headers['retry-after'] = '1';
    }
    return { status, body: { error: { code: error.code, message: error.message, details: { ...error.details } } }, headers };
  }
  if (typeof error === 'object' && error !== null) {
    const mapped = fromFastify(error);
    if (mapped !== undefined) return mapped;
  }
  return envelope(500, 'INTERNAL', 'Internal error.');
}
