/**
 * One structured model call: a JSON answer validated with zod, one retry with the validation errors.
 */
import { asModelId, type LlmClient, type Message } from '@runtime/contracts';
import type { z } from 'zod';
import { invalidAnswer } from './errors.js';

/**
 * How the planner calls the model.
 * @public
 */
export interface PlannerModel {
  /** The client (any `LlmClient`: a provider router, the resilient client, a scripted one in tests). */
  readonly llm: LlmClient;
  /** Catalog model id used for every planning call. */
  readonly model: string;
  /** Output cap of each planning call. @defaultValue 4096 */
  readonly maxOutputTokens?: number;
  /** Aborts the planning calls. */
  readonly signal?: AbortSignal;
}

const SYSTEM = 'You are a software planner. Answer with exactly one JSON object that matches the requested shape, and nothing else.';

function parse(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  return JSON.parse((fenced?.[1] ?? text).trim());
}

type Attempt<T> = { ok: true; value: T } | { ok: false; issues: { path: string; message: string }[] };

function validate<T>(schema: z.ZodType<T>, text: string): Attempt<T> {
  let json: unknown;
  try {
    json = parse(text);
  } catch (error) {
    return { ok: false, issues: [{ path: '', message: `not JSON: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })) };
}

/**
 * Asks for a JSON answer of `schema`. The prompt starts with a `[planner:<stage>]` tag. An invalid
 * answer (not JSON, or not matching the schema) gets one retry with the validation errors fed back;
 * a second invalid answer throws.
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` (`details.reason`
 * `PLANNER_INVALID_ANSWER`, `details.stage`, `details.issues`); the client's errors as they are.
 */
export async function askStructured<T>(model: PlannerModel, stage: string, prompt: string, schema: z.ZodType<T>): Promise<T> {
  const messages: Message[] = [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: `[planner:${stage}]\n${prompt}` },
  ];
  const call = async (): Promise<string> =>
    (
      await model.llm.complete(
        { model: asModelId(model.model), messages, maxOutputTokens: model.maxOutputTokens ?? 4_096, temperature: 0, responseFormat: 'json' },
        model.signal === undefined ? {} : { signal: model.signal },
      )
    ).output;
  const first = await call();
  const attempt = validate(schema, first);
  if (attempt.ok) return attempt.value;
  messages.push(
    { role: 'assistant', content: first },
    {
      role: 'user',
      content: `[planner:${stage}:retry]\nYour answer was invalid:\n${attempt.issues.map((issue) => `- ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`).join('\n')}\nAnswer again with one corrected JSON object.`,
    },
  );
  const second = await call();
  const retry = validate(schema, second);
  if (retry.ok) return retry.value;
  throw invalidAnswer(stage, retry.issues, second);
}
