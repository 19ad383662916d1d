/**
 * zod schemas of the query strings and path parameters (bodies use the contracts' schemas).
 */
import { z } from 'zod';

const integerText = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be an integer')
    .transform(Number)
    .pipe(z.int().min(min).max(max));

/**
 * `GET /v1/runs` query.
 * @public
 */
export const runListQuerySchema = z.strictObject({
  state: z.enum(['pending', 'running', 'completed', 'failed', 'aborted']).exactOptional(),
  limit: integerText(1, 100).exactOptional(),
  cursor: z.string().min(1).max(1024).exactOptional(),
});

/**
 * `GET /v1/runs/{id}/events` query.
 * @public
 */
export const eventsQuerySchema = z.strictObject({
  lastEventId: integerText(0, Number.MAX_SAFE_INTEGER).exactOptional(),
});

/**
 * `Last-Event-ID` header.
 * @public
 */
export const lastEventIdHeaderSchema = integerText(0, Number.MAX_SAFE_INTEGER);

/**
 * Body of `POST /v1/runs/{id}/abort`: nothing, or an empty object.
 * @public
 */
export const abortBodySchema = z.union([z.undefined(), z.strictObject({})]);

/**
 * `GET /v1/runs/{id}` query.
 * @public
 */
export const runQuerySchema = z.strictObject({
  include: z.literal('outputs').exactOptional(),
});

/**
 * `GET /v1/runs/{id}/tasks` query.
 * @public
 */
export const taskListQuerySchema = z.strictObject({
  state: z.enum(['pending', 'ready', 'running', 'waiting', 'completed', 'failed', 'skipped']).exactOptional(),
  limit: integerText(1, 500).exactOptional(),
  cursor: z.string().min(1).max(64).exactOptional(),
});

/**
 * `Idempotency-Key` request header (same bounds as the body's `idempotencyKey`).
 * @public
 */
export const idempotencyKeyHeaderSchema = z.string().min(1).max(256);
