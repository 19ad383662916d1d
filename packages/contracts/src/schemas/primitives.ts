/**
 * Building blocks shared by the wire schemas.
 */
import { z } from 'zod';
import type { Metadata, ModelId, RunId, TaskId } from '../index.js';
import { TASK_ID_PATTERN } from '../ids.js';

/**
 * A task id on the wire: 1..128 of `[A-Za-z0-9._-]`.
 * @public
 */
export const taskIdSchema = z
  .string()
  .regex(TASK_ID_PATTERN, 'must be 1..128 characters of A-Z a-z 0-9 . _ -') as unknown as z.ZodType<TaskId>;

/**
 * A run id as returned by the server.
 * @public
 */
export const runIdSchema = z.string().min(1).max(128) as unknown as z.ZodType<RunId>;

/**
 * A catalog model id.
 * @public
 */
export const modelIdSchema = z.string().min(1).max(256) as unknown as z.ZodType<ModelId>;

/**
 * An integer ≥ 1.
 * @public
 */
export const positiveIntSchema: z.ZodType<number> = z.int().min(1);

/**
 * An integer ≥ 0.
 * @public
 */
export const nonNegativeIntSchema: z.ZodType<number> = z.int().min(0);

/**
 * A finite USD amount ≥ 0.
 * @public
 */
export const usdAmountSchema: z.ZodType<number> = z.number().min(0).refine(Number.isFinite, 'must be finite');

/**
 * String-to-string metadata (at most 64 keys).
 * @public
 */
export const metadataSchema: z.ZodType<Metadata> = z
  .record(z.string().min(1).max(128), z.string().max(4096))
  .refine((value) => Object.keys(value).length <= 64, 'at most 64 keys');

/**
 * An ISO-8601 timestamp.
 * @public
 */
export const isoTimestampSchema: z.ZodType<string> = z.iso.datetime({ offset: true });
