import { asModelId, ProviderError, RuntimeError, type LlmClient, type LlmRequest, type LlmResult } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { abortedError } from '../classify-error.js';
import { createResilientClient } from '../resilient-client.js';
import { createFakeTime } from '../testing/fake-time.js';

interface ParticipantPlan {
  readonly joinAt: number;
  readonly signal: boolean;
  readonly preAborted: boolean;
  readonly abortAfter: number | undefined;
  readonly timeoutMs: number | undefined;
}

const participant: fc.Arbitrary<ParticipantPlan> = fc.record({
  joinAt: fc.integer({ min: 0, max: 40 }),
  signal: fc.boolean(),
  preAborted: fc.boolean(),
  abortAfter: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
  timeoutMs: fc.option(fc.integer({ min: 1, max: 80 }), { nil: undefined }),
});

const request: LlmRequest = { model: asModelId('m'), messages: [{ role: 'user', content: 'same' }], maxOutputTokens: 8 };

const result: LlmResult = {
  output: 'ok',
  usage: { inputTokens: 3, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  finishReason: 'stop',
};

interface UpstreamCall {
  state: 'pending' | 'answered' | 'aborted' | 'timedOut';
}

interface Outcome {
  settledAt: number | undefined;
  value: LlmResult | undefined;
  error: RuntimeError | undefined;
}

describe('dedup (property): no orphan upstream call, every caller bounded by its own abort and deadline', () => {
  it('holds for random joiners (signals, pre-aborted signals, aborts, own deadlines) against an upstream that answers late or never', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(participant, { minLength: 1, maxLength: 6 }), fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }), async (plans, answerAfter) => {
        const time = createFakeTime();
        const start = time.now();
        const upstream: UpstreamCall[] = [];
        // An adapter that honours its signal and timeoutMs, answering after `answerAfter` (or never).
        const inner: LlmClient = {
          provider: 'fake',
          complete(_request, options) {
            const call: UpstreamCall = { state: 'pending' };
            upstream.push(call);
            return new Promise<LlmResult>((resolve, reject) => {
              const signal = options?.signal;
              const end = (state: UpstreamCall['state'], settle: () => void): void => {
                if (call.state !== 'pending') return;
                call.state = state;
                settle();
              };
              signal?.addEventListener('abort', () => end('aborted', () => reject(abortedError(signal))), { once: true });
              const timeoutMs = options?.timeoutMs;
              if (timeoutMs !== undefined) {
                time.timers.setTimeout(
                  () => end('timedOut', () => reject(new ProviderError({ code: 'PROVIDER_TIMEOUT', message: 'timed out', details: { timeoutMs } }))),
                  timeoutMs,
                );
              }
              if (answerAfter !== undefined) time.timers.setTimeout(() => end('answered', () => resolve(result)), answerAfter);
            });
          },
        };
        const llm = createResilientClient(inner, { retry: false, circuitBreaker: false, clock: time.clock, sleep: time.sleep, timers: time.timers });
        const outcomes: Outcome[] = plans.map(() => ({ settledAt: undefined, value: undefined, error: undefined }));
        plans.forEach((plan, index) => {
          time.timers.setTimeout(() => {
            const controller = plan.signal || plan.preAborted || plan.abortAfter !== undefined ? new AbortController() : undefined;
            if (plan.preAborted) controller?.abort();
            else if (plan.abortAfter !== undefined) time.timers.setTimeout(() => controller?.abort(), plan.abortAfter);
            const outcome = outcomes[index];
            if (outcome === undefined) return;
            llm
              .complete(request, {
                ...(controller === undefined ? {} : { signal: controller.signal }),
                ...(plan.timeoutMs === undefined ? {} : { timeoutMs: plan.timeoutMs }),
              })
              .then(
                (value) => {
                  outcome.value = value;
                  outcome.settledAt = time.now() - start;
                },
                (error: unknown) => {
                  outcome.error = RuntimeError.isInstance(error) ? error : undefined;
                  outcome.settledAt = time.now() - start;
                },
              );
          }, plan.joinAt);
        });
        await time.advance(1_000);

        plans.forEach((plan, index) => {
          const outcome = outcomes[index];
          if (plan.preAborted) {
            expect(outcome?.error?.code).toBe('RUN_ABORTED');
            expect(outcome?.settledAt).toBe(plan.joinAt);
            return;
          }
          // Bounded by its own abort and its own deadline, whoever else is waiting.
          const own = Math.min(plan.abortAfter ?? Infinity, plan.timeoutMs ?? Infinity);
          if (own !== Infinity) {
            expect(outcome?.settledAt).toBeDefined();
            expect(outcome?.settledAt ?? Infinity).toBeLessThanOrEqual(plan.joinAt + own);
          }
          if (outcome?.value !== undefined) expect(outcome.value.output).toBe('ok');
        });
        // Nobody was sent upstream for a caller that had aborted before calling.
        if (plans.every((plan) => plan.preAborted)) expect(upstream).toHaveLength(0);
        // No orphan: an upstream call still running always has someone waiting for it.
        const waiting = outcomes.filter((outcome) => outcome.settledAt === undefined).length;
        const running = upstream.filter((call) => call.state === 'pending').length;
        if (waiting === 0) expect(running).toBe(0);
        // Billed once: at most one `provider` result per upstream answer.
        const billed = outcomes.filter((outcome) => outcome.value !== undefined && (outcome.value.source ?? 'provider') === 'provider').length;
        expect(billed).toBeLessThanOrEqual(upstream.filter((call) => call.state === 'answered').length);
        if (outcomes.some((outcome) => outcome.value !== undefined)) expect(billed).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });
});
