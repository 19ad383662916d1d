/**
 * Request and response bodies of the HTTP API that are not domain types themselves.
 */
import type { ErrorInfo } from './errors.js';
import type { WireMessage } from './message.js';
import type { ModelInfo, TaskTier } from './model.js';
import type { Run, TaskSpec } from './run.js';

/**
 * `POST /v1/runs/{id}/tasks` body.
 * @public
 */
export interface AddTasksRequest {
  /** At least one task; deps may name tasks already in the run. */
  readonly tasks: readonly TaskSpec[];
}

/**
 * `POST /v1/runs/{id}/tasks/{taskId}/input` body (HTTP-API.md v1.1): approve or reject the tool call
 * an agent task waits on (`message` tells the model why), or answer its question.
 * @public
 */
export type TaskInputRequest =
  | { readonly decision: 'approve' | 'reject'; readonly message?: string; readonly answer?: never }
  | { readonly answer: string; readonly decision?: never; readonly message?: never };

/**
 * Every error response body.
 * @public
 */
export interface ErrorBody {
  /** The error. */
  readonly error: ErrorInfo;
}

/**
 * `GET /v1/runs` response.
 * @public
 */
export interface RunListResponse {
  /** Runs, newest first. */
  readonly items: readonly Run[];
  /** Cursor of the next page, or null at the end. */
  readonly nextCursor: string | null;
}

/**
 * `GET /v1/models` response.
 * @public
 */
export interface ModelListResponse {
  /** The catalog. */
  readonly items: readonly ModelInfo[];
}

/**
 * `POST /v1/estimate` body: exactly one of `prompt` or `messages`.
 * @public
 */
export interface EstimateRequest {
  /** Catalog model id; else from `tier`, else the default model. */
  readonly model?: string;
  /** Tier for model routing. */
  readonly tier?: TaskTier;
  /** A single user prompt. */
  readonly prompt?: string;
  /** A conversation. */
  readonly messages?: readonly WireMessage[];
  /** System prompt. */
  readonly system?: string;
  /** Completion cap. @defaultValue the model's `maxOutputTokens` */
  readonly maxOutputTokens?: number;
}

/**
 * `POST /v1/estimate` response.
 * @public
 */
export interface EstimateResponse {
  /** Catalog model id used. */
  readonly model: string;
  /** Prompt tokens (exact for models with a public encoding). */
  readonly inputTokens: number;
  /** Completion cap used for the worst case. */
  readonly maxOutputTokens: number;
  /** Worst-case cost in USD. */
  readonly maxCostUsd: number;
}
