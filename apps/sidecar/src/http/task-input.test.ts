/**
 * The input endpoint's body as the orchestrator's reply: every body `taskInputRequestSchema`
 * accepts maps to exactly one `AgentInputResponse`, keeping the approve and reject messages and the answer text.
 */
import { taskInputRequestSchema } from '@runtime/contracts/schemas';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toAgentInputResponse } from './run-service.js';

describe('toAgentInputResponse', () => {
  it('maps approve, reject (with and without a message) and answer', () => {
    expect(toAgentInputResponse({ decision: 'approve' })).toEqual({ decision: 'approve' });
    expect(toAgentInputResponse({ decision: 'approve', message: 'go, but only Paris' })).toEqual({ decision: 'approve', message: 'go, but only Paris' });
    expect(toAgentInputResponse({ decision: 'reject' })).toEqual({ decision: 'reject' });
    expect(toAgentInputResponse({ decision: 'reject', message: 'not today' })).toEqual({ decision: 'reject', reason: 'not today' });
    expect(toAgentInputResponse({ answer: 'Paris' })).toEqual({ decision: 'answer', text: 'Paris' });
  });

  it('property: every accepted body keeps its decision and its text', () => {
    const body = fc.oneof(
      fc.record({ decision: fc.constantFrom('approve' as const, 'reject' as const), message: fc.string() }, { requiredKeys: ['decision'] }),
      fc.record({ answer: fc.string() }),
    );
    fc.assert(
      fc.property(body, (candidate) => {
        const parsed = taskInputRequestSchema.safeParse(candidate);
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        const response = toAgentInputResponse(parsed.data);
        if (parsed.data.answer !== undefined) expect(response).toEqual({ decision: 'answer', text: parsed.data.answer });
        else if (parsed.data.decision === 'approve') expect(response).toEqual(parsed.data.message === undefined ? { decision: 'approve' } : { decision: 'approve', message: parsed.data.message });
        else expect(response).toEqual(parsed.data.message === undefined ? { decision: 'reject' } : { decision: 'reject', reason: parsed.data.message });
      }),
    );
  });
});
