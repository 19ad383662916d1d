/**
 * Maps any thrown value to the HTTP error envelope of HTTP-API.md.
 */
import { HTTP_ERROR_STATUS, RuntimeError, type ErrorCode } from '@runtime/contracts';
import { HttpError } from './http-error.js';

/**
 * The error envelope: a contracts code, or one of the HTTP layer's own (`ROUTE_NOT_FOUND`,
 * `TASK_NOT_FOUND`, `HEADERS_TOO_LARGE`, `REQUEST_TIMEOUT`).
 * @public
 */
export interface HttpErrorBody {
  /** The error. */
  readonly error: { readonly code: ErrorCode | HttpErrorCode; readonly message: string; readonly details: Readonly<Record<string, unknown>> };
}

/**
 * Codes of the HTTP layer that the domain does not have.
 * @public
 */
export type HttpErrorCode = 'ROUTE_NOT_FOUND' | 'TASK_NOT_FOUND' | 'HEADERS_TOO_LARGE' | 'REQUEST_TIMEOUT';

/**
 * An error response: status, body and headers.
 * @public
 */
export interface ErrorResponse {
  /** HTTP status. */
  readonly status: number;
  /** `{error: {code, message, details}}`. */
  readonly body: HttpErrorBody;
  /** Extra headers (`Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;
}

interface FastifyLikeError {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly message?: unknown;
}

function envelope(status: number, code: ErrorCode | HttpErrorCode, message: string, details: Record<string, unknown> = {}): ErrorResponse {
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
    case 'FST_ERR_BAD_URL':
      return envelope(400, 'VALIDATION_FAILED', 'The request URL is not valid (bad percent-encoding).', { issues: [{ path: 'url', message: 'bad percent-encoding' }] });
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
  if (error instanceof HttpError) return envelope(error.status, error.code as ErrorCode | HttpErrorCode, error.message, { ...error.details });
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

/**
 * The raw HTTP/1.1 answer to a request node's parser rejected before fastify saw it (headers too
 * large, a malformed request line, a body shorter or longer than its Content-Length, a timeout),
 * in the error envelope; the connection is closed after it.
 * @public
 */
export function clientErrorResponse(error: { readonly code?: unknown }): string {
  let response: ErrorResponse;
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      response = envelope(431, 'HEADERS_TOO_LARGE', 'Request headers are larger than the server accepts.');
      break;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      response = envelope(408, 'REQUEST_TIMEOUT', 'The request was not received in time.');
      break;
    default:
      response = envelope(400, 'VALIDATION_FAILED', 'Malformed HTTP request.', { parserError: typeof error.code === 'string' ? error.code : 'unknown' });
  }
  const body = JSON.stringify(response.body);
  const reason = response.status === 431 ? 'Request Header Fields Too Large' : response.status === 408 ? 'Request Timeout' : 'Bad Request';
  return `HTTP/1.1 ${response.status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}
