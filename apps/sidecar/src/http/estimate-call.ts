/**
 * `POST /v1/estimate`: tokens and worst-case cost of one call.
 */
import { ContextError, ModelError, moneyToUsd, type EstimateRequest, type EstimateResponse, type Message, type ModelInfo } from '@runtime/contracts';
import type { SidecarRuntime } from '../runtime/sidecar-runtime.js';

/**
 * Estimates one call.
 * @throws {@link ModelError} `UNKNOWN_MODEL`; {@link ContextError} `CONTEXT_TOO_LARGE` when the
 * prompt does not fit the model's window.
 * @public
 */
export function estimateCall(runtime: Pick<SidecarRuntime, 'catalog' | 'estimator' | 'calculator'>, request: EstimateRequest): EstimateResponse {
  let model: ModelInfo;
  if (request.model !== undefined) {
    const found = runtime.catalog.find(request.model);
    if (found === undefined) throw new ModelError({ code: 'UNKNOWN_MODEL', message: `Unknown model ${request.model}.`, details: { model: request.model } });
    model = found;
  } else {
    model = request.tier === undefined ? runtime.catalog.defaultModel() : runtime.catalog.forTier(request.tier);
  }
  const messages: Message[] = [];
  if (request.system !== undefined) messages.push({ role: 'system', content: request.system });
  if (request.prompt !== undefined) messages.push({ role: 'user', content: request.prompt });
  for (const message of request.messages ?? []) messages.push(message);
  const inputTokens = runtime.estimator.countMessages(messages, model.id);
  if (inputTokens > model.maxInputTokens) {
    throw new ContextError({
      code: 'CONTEXT_TOO_LARGE',
      message: `Prompt of ${inputTokens} tokens exceeds the ${model.maxInputTokens}-token window of ${model.id}.`,
      details: { model: model.id, inputTokens, maxInputTokens: model.maxInputTokens },
    });
  }
  const maxOutputTokens = Math.min(request.maxOutputTokens ?? model.maxOutputTokens, model.maxOutputTokens);
  const maxCostUsd = moneyToUsd(runtime.calculator.worstCase(model.id, inputTokens, maxOutputTokens));
  return { model: model.id, inputTokens, maxOutputTokens, maxCostUsd };
}
