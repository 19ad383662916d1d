/**
 * `RuntimeCallbackHandler`: exact cost and a hard budget around every LangChain model call it is
 * attached to (a chat model, a chain, an agent — handlers are inherited by nested calls).
 *
 * @remarks
 * Before each call the worst case is reserved: the prompt counted by a {@link @runtime/contracts#TokenEstimator}, the
 * output cap read from the call (`max_tokens`, `max_completion_tokens`, `maxTokens`,
 * `max_output_tokens`, `maxOutputTokens`, LangChain's `ls_max_tokens`), priced by
 * {@link @runtime/contracts#CostCalculator.worstCase}. When it does not fit, the handler throws `BUDGET_EXCEEDED`
 * from `handleChatModelStart`; the handler is constructed with `raiseError` (which makes LangChain
 * await it), so the error reaches the caller and the model is never called. After the call the
 * reservation is settled with the exact cost of the model's `usage_metadata` (cache reads and
 * writes, reasoning tokens) and a {@link @runtime/contracts#UsageRecord} is added to the tracker; a failed call
 * releases its reservation. Works with `@runtime/cost` alone: pass its ledger, calculator,
 * estimator and tracker. Not responsible for retries or for choosing models.
 */
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatGeneration, Generation, LLMResult } from '@langchain/core/outputs';
import type { Serialized } from '@langchain/core/load/serializable';
import {
  asRunId,
  asTaskId,
  EMPTY_USAGE,
  ZERO_MONEY,
  normalizeUsage,
  ValidationError,
  type BudgetLedger,
  type CostCalculator,
  type Message,
  type Money,
  type Reservation,
  type TokenEstimator,
  type ToolDefinition,
  type Usage,
  type UsageRecord,
  type UsageTracker,
} from '@runtime/contracts';
import { fromLangChainMessages } from './internal/messages.js';
import { usageFromMetadata } from './internal/usage.js';

/**
 * What the handler knows of a call when it picks the catalog model.
 * @public
 */
export interface LangChainCallInfo {
  /** The serialized model (`id` is its class path). */
  readonly llm: Serialized;
  /** The model's invocation parameters (`model`, `max_tokens`, `tools`, …). */
  readonly invocationParams: Readonly<Record<string, unknown>>;
  /** The run's metadata (`ls_provider`, `ls_model_name`, `ls_max_tokens`, …). */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/**
 * Options of {@link RuntimeCallbackHandler}.
 * @public
 */
export interface RuntimeCallbackHandlerOptions {
  /** The ledger to reserve in (e.g. `createBudgetLedger()` of `@runtime/cost`). */
  readonly ledger: BudgetLedger;
  /** Prices the worst case and the actual usage. */
  readonly calculator: CostCalculator;
  /** Counts the prompt for the worst case. */
  readonly estimator: TokenEstimator;
  /** Scopes every call holds budget in, outermost first (e.g. `['tenant:acme', 'user:u1']`). */
  readonly scopes: readonly string[];
  /** Receives one record per answered call. */
  readonly usage?: UsageTracker;
  /**
   * The catalog model id of a call: a fixed id, or a function of the call.
   * @defaultValue the call's `ls_model_name` metadata, else its `model` / `model_name` / `modelName` parameter
   */
  readonly model?: string | ((call: LangChainCallInfo) => string);
  /**
   * The output cap used for the worst case when the call sets none. Make it the model's largest
   * output, or set the cap on the model: a worst case bounds the call only if the provider enforces it.
   * @defaultValue none: a call without a cap is refused with `VALIDATION_FAILED`
   */
  readonly defaultMaxOutputTokens?: number;
  /** `UsageRecord.runId` of the records. @defaultValue `'langchain'` */
  readonly runId?: string;
  /** `UsageRecord.taskId` of the records. */
  readonly taskId?: string;
  /** `UsageRecord.phase` of the records. */
  readonly phase?: string;
  /** Lease of each reservation in ms (a crashed process's holds expire). @defaultValue the ledger's default */
  readonly leaseMs?: number;
  /** Holder of the reservations. */
  readonly holder?: string;
}

/** The prompts of one multi-prompt call (`generate([[…], […]])`): refused together. */
interface CallGroup {
  refusal: Error | undefined;
  readonly runIds: Set<string>;
}

function refusalOf(group: CallGroup): Error | undefined {
  return group.refusal;
}

interface PendingCall {
  readonly reservation: Reservation;
  readonly model: string;
  readonly inputTokens: number;
  readonly maxOutputTokens: number;
}

const CAP_PARAMETERS = ['max_tokens', 'max_completion_tokens', 'maxTokens', 'max_output_tokens', 'maxOutputTokens'] as const;

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Tools in the OpenAI (`{type: 'function', function}`) or Anthropic / plain (`{name, input_schema | parameters}`) shape. */
function toolsOf(value: unknown): ToolDefinition[] {
  if (!Array.isArray(value)) return [];
  const tools: ToolDefinition[] = [];
  for (const entry of value) {
    const tool = record(entry)['function'] === undefined ? record(entry) : record(record(entry)['function']);
    if (typeof tool['name'] !== 'string') continue;
    tools.push({
      name: tool['name'],
      description: typeof tool['description'] === 'string' ? tool['description'] : '',
      parameters: record(tool['parameters'] ?? tool['input_schema']),
    });
  }
  return tools;
}

function generationText(generation: Generation): string {
  return generation.text;
}

/**
 * A LangChain callback handler that reserves, settles and records every model call against a
 * runtime budget.
 *
 * @example
 * ```ts
 * const catalog = createModelCatalog();
 * const ledger = createBudgetLedger();
 * await ledger.setLimit('user:u1', usd(0.5));
 * const handler = new RuntimeCallbackHandler({
 *   ledger, calculator: createCostCalculator({ catalog }), estimator: createTokenEstimator({ catalog }),
 *   usage: createUsageTracker(), scopes: ['user:u1'],
 * });
 * await chain.invoke({ topic: 'budgets' }, { callbacks: [handler] });
 * ```
 * @public
 */
export class RuntimeCallbackHandler extends BaseCallbackHandler {
  /** Handler name (LangChain uses it in logs). */
  readonly name = 'RuntimeCallbackHandler';
  readonly #options: RuntimeCallbackHandlerOptions;
  readonly #pending = new Map<string, PendingCall>();
  // LangChain starts each prompt of one call with the same `extraParams` object; when one prompt is
  // refused the model is not called at all, so its siblings' holds must be returned at once.
  readonly #groups = new WeakMap<object, CallGroup>();

  /** Creates the handler; it raises errors (so a refusal stops the call) and is awaited. */
  constructor(options: RuntimeCallbackHandlerOptions) {
    super({ raiseError: true });
    if (options.scopes.length === 0) {
      throw new ValidationError({ code: 'VALIDATION_FAILED', message: 'RuntimeCallbackHandler needs at least one budget scope.', details: { field: 'scopes' } });
    }
    if (options.defaultMaxOutputTokens !== undefined && positiveInteger(options.defaultMaxOutputTokens) === undefined) {
      throw new ValidationError({
        code: 'VALIDATION_FAILED',
        message: 'defaultMaxOutputTokens must be an integer ≥ 1.',
        details: { field: 'defaultMaxOutputTokens', value: String(options.defaultMaxOutputTokens) },
      });
    }
    this.#options = options;
  }

  /** The handler itself: its reservations must be shared by every manager that holds it. */
  override copy(): this {
    return this;
  }

  /** Calls reserved and not yet settled or released. */
  get openCalls(): number {
    return this.#pending.size;
  }

  /**
   * Reserves the worst case of a chat model call.
   * @throws {@link @runtime/contracts#BudgetError} `BUDGET_EXCEEDED` (the model is not called);
   * {@link @runtime/contracts#ValidationError} when the call's model or output cap is unknown.
   */
  override async handleChatModelStart(
    llm: Serialized,
    messages: BaseMessage[][],
    runId: string,
    _parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    const conversation = messages.flatMap((group) => fromLangChainMessages(group));
    await this.#reserveInGroup(extraParams, runId, { llm, invocationParams: record(extraParams?.['invocation_params']), metadata: metadata ?? {} }, conversation);
  }

  /**
   * Reserves the worst case of a text-completion model call (each prompt as a user message).
   * @throws the same errors as {@link RuntimeCallbackHandler.handleChatModelStart}.
   */
  override async handleLLMStart(
    llm: Serialized,
    prompts: string[],
    runId: string,
    _parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    const conversation: Message[] = prompts.map((content) => ({ role: 'user', content }));
    await this.#reserveInGroup(extraParams, runId, { llm, invocationParams: record(extraParams?.['invocation_params']), metadata: metadata ?? {} }, conversation);
  }

  /**
   * Settles the call at its exact cost and records its usage. An answer from LangChain's cache
   * (`extraParams.cached`) cost nothing: it settles at 0 and is recorded with `source: 'cache'`.
   */
  override async handleLLMEnd(output: LLMResult, runId: string, _parentRunId?: string, _tags?: string[], extraParams?: Record<string, unknown>): Promise<void> {
    const pending = this.#pending.get(runId);
    if (pending === undefined) return;
    this.#pending.delete(runId);
    if (extraParams?.['cached'] === true) {
      await this.#options.ledger.settle(pending.reservation.id, ZERO_MONEY, { usage: EMPTY_USAGE });
      this.#record(pending.model, EMPTY_USAGE, ZERO_MONEY, 'cache');
      return;
    }
    const usage = this.#usageOf(output, pending);
    let cost: Money;
    try {
      cost = this.#options.calculator.cost(pending.model, usage);
    } catch (error) {
      // Unpriceable usage: the call answered, so charge what was reserved rather than nothing.
      await this.#options.ledger.settle(pending.reservation.id, pending.reservation.amount, { usage });
      throw error;
    }
    await this.#options.ledger.settle(pending.reservation.id, cost, { usage });
    this.#record(pending.model, usage, cost, 'provider');
  }

  #record(model: string, usage: Usage, cost: Money, source: 'provider' | 'cache'): void {
    const usageRecord: UsageRecord = {
      runId: this.#options.runId ?? 'langchain',
      ...(this.#options.taskId === undefined ? {} : { taskId: this.#options.taskId }),
      ...(this.#options.phase === undefined ? {} : { phase: this.#options.phase }),
      model,
      usage,
      cost,
      source,
    };
    this.#options.usage?.record(usageRecord);
  }

  /** Releases the reservation of a failed call. */
  override async handleLLMError(_error: unknown, runId: string): Promise<void> {
    const pending = this.#pending.get(runId);
    if (pending === undefined) return;
    this.#pending.delete(runId);
    await this.#options.ledger.release(pending.reservation.id);
  }

  async #reserveInGroup(groupKey: object | undefined, runId: string, call: LangChainCallInfo, conversation: readonly Message[]): Promise<void> {
    if (groupKey === undefined) return this.#reserve(runId, call, conversation);
    let group = this.#groups.get(groupKey);
    if (group === undefined) {
      group = { refusal: undefined, runIds: new Set() };
      this.#groups.set(groupKey, group);
    }
    if (group.refusal !== undefined) throw group.refusal;
    try {
      await this.#reserve(runId, call, conversation);
    } catch (error) {
      group.refusal = error instanceof Error ? error : new Error(String(error));
      await this.#releaseGroup(group);
      throw error;
    }
    group.runIds.add(runId);
    // A sibling may have been refused while this one reserved (read again: the await let it run).
    const refusal = refusalOf(group);
    if (refusal !== undefined) {
      await this.#releaseGroup(group);
      throw refusal;
    }
  }

  async #releaseGroup(group: CallGroup): Promise<void> {
    for (const runId of group.runIds) {
      group.runIds.delete(runId);
      const pending = this.#pending.get(runId);
      if (pending === undefined) continue;
      this.#pending.delete(runId);
      await this.#options.ledger.release(pending.reservation.id);
    }
  }

  async #reserve(runId: string, call: LangChainCallInfo, conversation: readonly Message[]): Promise<void> {
    const options = this.#options;
    const model = this.#modelOf(call);
    const maxOutputTokens = this.#capOf(call, model);
    const inputTokens = options.estimator.countMessages(conversation, model, toolsOf(call.invocationParams['tools']));
    const worstCase = options.calculator.worstCase(model, inputTokens, maxOutputTokens);
    const reservation = await options.ledger.reserve(options.scopes, worstCase, {
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      ...(options.holder === undefined ? {} : { holder: options.holder }),
      ...(options.runId === undefined ? {} : { runId: asRunId(options.runId) }),
      ...(options.taskId === undefined ? {} : { taskId: asTaskId(options.taskId) }),
    });
    this.#pending.set(runId, { reservation, model, inputTokens, maxOutputTokens });
  }

  #modelOf(call: LangChainCallInfo): string {
    const chosen = this.#options.model;
    if (typeof chosen === 'string') return chosen;
    if (chosen !== undefined) return chosen(call);
    const params = call.invocationParams;
    for (const candidate of [call.metadata['ls_model_name'], params['model'], params['model_name'], params['modelName']]) {
      if (typeof candidate === 'string' && candidate !== '') return candidate;
    }
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: 'The LangChain call names no model; give RuntimeCallbackHandler a `model` option.',
      details: { field: 'model', llm: call.llm.id.join('.') },
    });
  }

  #capOf(call: LangChainCallInfo, model: string): number {
    for (const name of CAP_PARAMETERS) {
      const cap = positiveInteger(call.invocationParams[name]);
      if (cap !== undefined) return cap;
    }
    const cap = positiveInteger(call.metadata['ls_max_tokens']) ?? this.#options.defaultMaxOutputTokens;
    if (cap !== undefined) return cap;
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `The call to ${model} sets no output cap, so its worst case has no bound: set maxTokens on the model or defaultMaxOutputTokens on the handler.`,
      details: { field: 'maxOutputTokens', model },
    });
  }

  /** The reported usage, else an estimate (`estimated: true`): an answered call never costs $0. */
  #usageOf(output: LLMResult, pending: PendingCall): Usage {
    const generations = output.generations.flat();
    for (const generation of generations) {
      const message = (generation as Partial<ChatGeneration>).message;
      const metadata = message !== undefined && 'usage_metadata' in message ? message.usage_metadata : undefined;
      if (metadata !== undefined && metadata !== null) return usageFromMetadata(metadata as Parameters<typeof usageFromMetadata>[0]);
    }
    const tokenUsage = record(record(output.llmOutput)['tokenUsage']);
    const promptTokens = positiveInteger(tokenUsage['promptTokens']);
    const completionTokens = tokenUsage['completionTokens'];
    if (promptTokens !== undefined && typeof completionTokens === 'number') {
      return normalizeUsage({ inputTokens: promptTokens, outputTokens: completionTokens, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }).usage;
    }
    const text = generations.map(generationText).join('');
    const outputTokens = text === '' ? pending.maxOutputTokens : this.#options.estimator.countText(text, pending.model);
    return { inputTokens: pending.inputTokens, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, estimated: true };
  }
}
