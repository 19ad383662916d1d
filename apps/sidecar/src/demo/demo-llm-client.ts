/**
 * The demo's mock provider: the deterministic mock of `@runtime/providers` scripted with
 * realistic latencies and token usage per model role.
 *
 * @remarks
 * Each answer's length is 35–75% of the request's output cap (at most 900 tokens), its latency a
 * time-to-first-token plus a per-token rate by role (fast models are quick, flagship ones slow),
 * reasoning models report a share of their output as reasoning tokens, and a system prompt the
 * model has already seen is reported as a prompt-cache read (as providers with prompt caching do).
 * Everything derives from the request, so the same plan gives the same numbers on every run.
 */
import { createHash } from 'node:crypto';
import type { ModelCatalog, ModelRole, TokenEstimator } from '@runtime/contracts';
import { createMockLlmClient, type MockLlmClient } from '@runtime/providers';

interface RoleProfile {
  readonly firstTokenMs: number;
  readonly msPerToken: number;
}

const PROFILES: Readonly<Record<ModelRole, RoleProfile>> = {
  fast: { firstTokenMs: 250, msPerToken: 1.2 },
  balanced: { firstTokenMs: 450, msPerToken: 2.2 },
  flagship: { firstTokenMs: 700, msPerToken: 3.2 },
};

const WORDS = (
  'interface contract module runtime budget ledger reserve settle release token estimate catalog model ' +
  'scheduler ready queue parallel executor abort signal timeout retry backoff circuit breaker provider ' +
  'context window compaction summary router dependency output memory journal store resume event stream ' +
  'policy tier limit tenant validation error code details test property invariant benchmark latency'
).split(' ');

function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0);
}

function text(seed: number, words: number): string {
  const parts: string[] = [];
  let state = seed || 1;
  for (let index = 0; index < words; index += 1) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    parts.push(WORDS[state % WORDS.length] ?? 'token');
  }
  return parts.join(' ');
}

/**
 * Creates the demo client.
 * @param options - `speed` divides every latency (2 = twice as fast).
 * @public
 */
export function createDemoLlmClient(options: { readonly catalog: ModelCatalog; readonly estimator: TokenEstimator; readonly speed?: number }): MockLlmClient {
  const speed = options.speed ?? 1;
  const cachedPrefixes = new Set<string>();
  return createMockLlmClient({
    provider: 'mock',
    estimator: options.estimator,
    respond(request) {
      const model = options.catalog.find(request.model);
      const role: ModelRole = model?.role ?? 'balanced';
      const seed = seedOf(`${request.model}\n${request.messages.map((message) => message.content).join('\n')}`);
      const share = 0.35 + ((seed % 1000) / 1000) * 0.4;
      const outputTokens = Math.max(20, Math.min(900, Math.round(request.maxOutputTokens * share)));
      const profile = PROFILES[role];
      const reasoning = model?.capabilities?.reasoning === true ? Math.round(outputTokens * 0.3) : 0;
      const system = request.messages.find((message) => message.role === 'system')?.content;
      let cacheReadTokens = 0;
      if (system !== undefined) {
        const key = `${request.model}\n${system}`;
        if (cachedPrefixes.has(key)) cacheReadTokens = options.estimator.countText(system, request.model);
        cachedPrefixes.add(key);
      }
      return {
        output: text(seed, outputTokens - reasoning),
        usage: { outputTokens, reasoningTokens: reasoning, cacheReadTokens },
        latencyMs: Math.round((profile.firstTokenMs + profile.msPerToken * outputTokens) / speed),
      };
    },
  });
}
