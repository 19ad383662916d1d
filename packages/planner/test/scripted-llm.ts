/**
 * A deterministic `LlmClient` for planner tests: answers by the `[planner:<stage>]` tag of the last
 * user message, from a queue per stage (the last answer of a queue repeats).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LlmClient, LlmRequest, LlmResult } from '@runtime/contracts';
import type { DomainContract } from '../src/schemas.js';

export type Answer = string | object;

export interface ScriptedPlannerLlm extends LlmClient {
  readonly requests: LlmRequest[];
  readonly stages: string[];
  maxActive: number;
}

export function stageOf(request: LlmRequest): string {
  const last = [...request.messages].reverse().find((message) => message.role === 'user');
  return /^\[planner:([^\]]+)\]/.exec(last?.content ?? '')?.[1] ?? 'unknown';
}

export function scriptedPlannerLlm(script: Record<string, Answer | Answer[]>, latencyMs = 0): ScriptedPlannerLlm {
  const used = new Map<string, number>();
  let active = 0;
  const client: ScriptedPlannerLlm = {
    provider: 'scripted',
    requests: [],
    stages: [],
    maxActive: 0,
    async complete(request: LlmRequest): Promise<LlmResult> {
      client.requests.push(request);
      const stage = stageOf(request);
      client.stages.push(stage);
      active += 1;
      client.maxActive = Math.max(client.maxActive, active);
      try {
        if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
        const entry = script[stage];
        if (entry === undefined) throw new Error(`no scripted answer for stage ${stage}`);
        const queue = Array.isArray(entry) ? entry : [entry];
        const index = used.get(stage) ?? 0;
        used.set(stage, index + 1);
        const answer = queue[Math.min(index, queue.length - 1)];
        const output = typeof answer === 'string' ? answer : JSON.stringify(answer);
        return { output, usage: { inputTokens: 100, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, finishReason: 'stop' };
      } finally {
        active -= 1;
      }
    },
  };
  return client;
}

const folder = fileURLToPath(new URL('./fixtures/prd-shop/', import.meta.url));

export interface ShopScript {
  readonly requirements: object;
  readonly domains: object;
  readonly contracts: { readonly accounts: DomainContract; readonly catalog: DomainContract; readonly orders: DomainContract; readonly shared: DomainContract };
  readonly inconsistentOrders: DomainContract;
}

export const shopPrd: string = readFileSync(`${folder}prd.md`, 'utf8');
export const shopScript: ShopScript = JSON.parse(readFileSync(`${folder}script.json`, 'utf8')) as ShopScript;

/** The happy-path script of the shop PRD: every stage answers valid, consistent JSON. */
export function shopAnswers(overrides: Record<string, Answer | Answer[]> = {}): Record<string, Answer | Answer[]> {
  return {
    requirements: shopScript.requirements,
    'requirements:retry': shopScript.requirements,
    domains: shopScript.domains,
    'domains:retry': shopScript.domains,
    ...Object.fromEntries(Object.entries(shopScript.contracts).map(([domain, contract]) => [`contract:${domain}`, contract])),
    ...overrides,
  };
}
