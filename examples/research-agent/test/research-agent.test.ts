/**
 * The research agent example, run as a user runs it: offline on the mock provider through
 * createRuntime (real orchestration, ledger, agent runner and tools).
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '@runtime/contracts';
import { NOTES, READ_NOTE_PRICE_USD, researcher, runResearchAgent, searchNotes } from '../src/research-agent.js';

describe('research agent example', () => {
  it('searches, reads the two best notes in parallel, answers with sources, and the brief gets the answer', async () => {
    const events: RuntimeEvent[] = [];
    const result = await runResearchAgent({ onEvent: (event) => events.push(event) });
    expect(result.run.state).toBe('completed');
    expect(result.toolCalls).toEqual(['search_notes', 'read_note', 'read_note']);
    const best = searchNotes('Which rate limiting approach suits bursty LLM traffic with tokens per minute limits?').slice(0, 2).map((hit) => hit.id);
    expect([...result.reads].sort()).toEqual([...best].sort());
    const research = result.run.tasks.find((task) => task.id === 'research');
    const brief = result.run.tasks.find((task) => task.id === 'brief');
    expect(research?.output).toMatch(/^Answer: .+ Sources: \[.+\], \[.+\]\.$/);
    for (const id of best) expect(research?.output).toContain(`[${id}]`);
    // The brief is a plain call whose prompt carried the routed answer.
    expect(brief?.output).toBe(`Brief: ${research?.output?.slice('Answer: '.length).split(/(?<=\.)\s/)[0]}`);
    // Three model steps (search, read, answer), each journaled with its cost.
    const steps = events.filter((event) => event.type === 'agent.step');
    expect(steps.map((event) => event.type === 'agent.step' && event.kind)).toEqual(['tool_calls', 'tool_calls', 'final_answer']);
    // The two reads are asked in one step (run in parallel).
    expect(steps.map((event) => event.type === 'agent.step' && event.toolCalls)).toEqual([1, 2, 0]);
  });

  it('bills exactly: the ledger charged the run its model steps plus two note reads, within the budget', async () => {
    const events: RuntimeEvent[] = [];
    const result = await runResearchAgent({ budgetUsd: 0.05, onEvent: (event) => events.push(event) });
    const steps = events.flatMap((event) => (event.type === 'agent.step' ? [event.costUsd] : []));
    const brief = result.run.tasks.find((task) => task.id === 'brief')?.usage.costUsd ?? Number.NaN;
    const expected = steps.reduce((sum, cost) => sum + cost, 0) + 2 * READ_NOTE_PRICE_USD + brief;
    expect(steps).toHaveLength(3);
    expect(result.ledgerSpentUsd).toBeCloseTo(expected, 12);
    expect(result.run.usage.costUsd).toBeCloseTo(result.ledgerSpentUsd, 12);
    expect(result.ledgerSpentUsd).toBeLessThanOrEqual(0.05);
  });

  it('a budget too small for the next step stops the agent with BUDGET_EXCEEDED before the call, never overspent', async () => {
    const events: RuntimeEvent[] = [];
    const result = await runResearchAgent({ budgetUsd: 0.0008, onEvent: (event) => events.push(event) });
    expect(result.run.state).toBe('failed');
    const research = result.run.tasks.find((task) => task.id === 'research');
    expect(research?.state).toBe('failed');
    expect(research?.error?.code).toBe('BUDGET_EXCEEDED');
    expect(result.run.tasks.find((task) => task.id === 'brief')?.state).toBe('skipped');
    expect(result.ledgerSpentUsd).toBeLessThanOrEqual(0.0008);
    // Refused before the call: the ledger charged only the journaled steps and the reads that ran.
    const steps = events.flatMap((event) => (event.type === 'agent.step' ? [event.costUsd] : []));
    const tools = events.flatMap((event) => (event.type === 'tool.completed' ? [event.costUsd] : []));
    expect(steps.length).toBeGreaterThan(0);
    expect(result.ledgerSpentUsd).toBeCloseTo([...steps, ...tools].reduce((sum, cost) => sum + cost, 0), 12);
  });

  it('the scripted researcher answers from what the tools returned, not from a fixed text', () => {
    const note = NOTES[1];
    if (note === undefined) throw new Error('corpus too small');
    const step = researcher({
      model: 'mock-balanced' as never,
      maxOutputTokens: 100,
      tools: [{ name: 'read_note', description: 'd', parameters: {} }],
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'read_note', arguments: JSON.stringify({ id: note.id }) }] },
        { role: 'tool', toolCallId: 'c1', content: `${note.title}: ${note.text}` },
      ],
    });
    expect(step).toEqual({ output: `Answer: ${note.text.split('. ')[0]}. Sources: [${note.id}].` });
  });
});
