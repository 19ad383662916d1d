/**
 * Crash at every journal position, resume from the journal, and check that the loop ends exactly as
 * an uncrashed run would, without repeating a tool call whose result was journaled.
 *
 * The crash model: the host makes an event durable and then the process dies (its `emit` throws and
 * the loop stops), so everything after that event is lost, including calls still running.
 *
 * A call may start a nested loop (`delegate`, one `record` call then an answer) that journals through
 * the same host with `depth: 1`: the parent's resume must ignore those events, re-run a nested loop
 * whose call did not complete at depth 0, and never repeat one whose call did.
 */
import { asModelId, asRunId, asTaskId } from '@runtime/contracts';
import type { AgentEventInput, AgentRunInput, Message } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Crash, call, createScriptedHost, stepOf } from '../test/scripted-host.js';
import type { Script, ScriptedAnswer } from '../test/scripted-host.js';
import { createAgentRunner } from './agent-runner.js';
import { defineTool } from './define-tool.js';
import { subAgentTool } from './sub-agent-tool.js';
import { createToolRegistry } from './tool-registry.js';

/**
 * A scenario: per step, the calls the model makes (`bad` ones carry arguments the schema refuses;
 * `nested` ones delegate to a nested loop that records the value).
 */
type Scenario = readonly (readonly { readonly bad: boolean; readonly nested: boolean; readonly value: number }[])[];

/** The nested loop: records its value (call `n<value>`), then answers with the result. */
function nestedScript(messages: readonly Message[], value: string): ScriptedAnswer {
  const result = messages.find((message) => message.role === 'tool');
  if (result !== undefined) return { output: `nested[${result.content}]` };
  return { toolCalls: [call(`n${value}`, 'record', { value: Number(value) })] };
}

function scriptOf(scenario: Scenario): Script {
  return (messages: readonly Message[]) => {
    const nested = /^nested:(\d+)$/.exec(messages[0]?.content ?? '');
    if (nested !== null) return nestedScript(messages, nested[1] ?? '');
    const step = stepOf(messages);
    const calls = scenario[step - 1];
    if (calls === undefined) {
      const results = messages.filter((message) => message.role === 'tool').map((message) => `${message.toolCallId}=${message.content}`);
      return { output: `answer[${results.join(';')}]` };
    }
    return {
      toolCalls: calls.map(({ bad, nested: delegated, value }, index) =>
        delegated ? call(`s${step}c${index}`, 'delegate', { task: `nested:${value}` }) : call(`s${step}c${index}`, 'record', bad ? { value: 'NaN' } : { value }),
      ),
    };
  };
}

function harness(scenario: Scenario) {
  const executions = new Map<string, number>();
  const record = defineTool({
    name: 'record',
    description: 'Records a value.',
    input: z.object({ value: z.number() }),
    execute: async ({ value }) => {
      // Zero latency, but asynchronous like a real tool: sibling calls overlap.
      await Promise.resolve();
      executions.set(String(value), (executions.get(String(value)) ?? 0) + 1);
      return `v${value * 2}`;
    },
  });
  const registry = createToolRegistry([record]);
  const runner = createAgentRunner({ registry });
  registry.register(subAgentTool({ name: 'delegate', description: 'Delegates.', runner, tools: ['record'] }));
  const script = scriptOf(scenario);
  const attempt = (history: readonly AgentEventInput[], crashAfter: number | undefined, attemptNumber: number) => {
    const host = createScriptedHost({ script, history, ...(crashAfter === undefined ? {} : { crashAfter }) });
    const runInput: AgentRunInput = {
      runId: asRunId('run_p'),
      taskId: asTaskId('agent'),
      attempt: attemptNumber,
      model: asModelId('m'),
      maxOutputTokens: 64,
      messages: [{ role: 'user', content: 'go' }],
      tools: ['record', 'delegate'],
      limits: { maxSteps: scenario.length + 1 },
      host,
    };
    return { host, promise: runner.run(runInput) };
  };
  return { executions, attempt, reset: () => executions.clear() };
}

/** Values are unique per scenario, so an execution is identified by its value. */
const scenarioArbitrary = (maxCallsPerStep: number, withNested: boolean) =>
  fc
    .array(fc.array(fc.record({ bad: fc.boolean(), nested: withNested ? fc.boolean() : fc.constant(false) }), { minLength: 1, maxLength: maxCallsPerStep }), {
      minLength: 0,
      maxLength: 4,
    })
    .map((steps): Scenario => {
      let next = 1;
      return steps.map((calls) => calls.map(({ bad, nested }) => ({ bad: bad && !nested, nested, value: next++ })));
    });

/** Terminal events of the task's own (depth-0) calls. */
function terminalEvents(journal: readonly AgentEventInput[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of journal) {
    if (event.depth !== undefined) continue;
    if (event.type === 'tool.completed' || event.type === 'tool.failed') counts.set(event.callId, (counts.get(event.callId) ?? 0) + 1);
  }
  return counts;
}

async function crashThenResume(scenario: Scenario, crashPoints: readonly number[]) {
  const { executions, attempt } = harness(scenario);
  const journal: AgentEventInput[] = [];
  // Executions of each journaled call at the moment its result became durable.
  const runsWhenJournaled = new Map<string, number>();
  const valueOf = (id: string): number | undefined => {
    const match = /^s(\d+)c(\d+)$/.exec(id);
    return match === null ? undefined : scenario[Number(match[1]) - 1]?.[Number(match[2])]?.value;
  };
  let attemptNumber = 1;
  for (const crashAfter of crashPoints) {
    const { host, promise } = attempt([...journal], crashAfter, attemptNumber);
    const outcome = await promise.then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    journal.push(...host.journal);
    attemptNumber += 1;
    if ('result' in outcome) return { output: outcome.result.output, executions, journal, runsWhenJournaled, crashes: attemptNumber - 2 };
    expect(outcome.error).toBeInstanceOf(Crash);
    for (const id of terminalEvents(journal).keys()) {
      if (!runsWhenJournaled.has(id)) runsWhenJournaled.set(id, executions.get(String(valueOf(id))) ?? 0);
    }
  }
  const { host, promise } = attempt([...journal], undefined, attemptNumber);
  const result = await promise;
  journal.push(...host.journal);
  return { output: result.output, executions, journal, runsWhenJournaled, crashes: attemptNumber - 1 };
}

describe('agent runner resume (property)', () => {
  it('one call per step: after a crash at any event and a resume, every tool call ran exactly once and the answer is unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary(1, false), async (scenario) => {
        const reference = harness(scenario).attempt([], undefined, 1);
        const expected = await reference.promise;
        const events = reference.host.journal.length;
        const goodCalls = scenario.flat().filter((planned) => !planned.bad).length;
        for (let crashAfter = 1; crashAfter <= events; crashAfter += 1) {
          const { output, executions, journal } = await crashThenResume(scenario, [crashAfter]);
          expect(output).toBe(expected.output);
          expect(executions.size).toBe(goodCalls);
          for (const count of executions.values()) expect(count).toBe(1);
          for (const count of terminalEvents(journal).values()) expect(count).toBe(1);
          expect(terminalEvents(journal).size).toBe(scenario.flat().length);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('parallel calls and nested loops, several crashes: a journaled depth-0 call never runs again (only calls in flight at a crash repeat), every call ends once in the journal, the answer is unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioArbitrary(3, true),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 3 }),
        async (scenario, crashPoints) => {
          const expected = await harness(scenario).attempt([], undefined, 1).promise;
          const { output, executions, journal, runsWhenJournaled, crashes } = await crashThenResume(scenario, crashPoints);
          expect(output).toBe(expected.output);
          const terminals = terminalEvents(journal);
          expect(terminals.size).toBe(scenario.flat().length);
          for (const count of terminals.values()) expect(count).toBe(1);
          scenario.forEach((calls, stepIndex) =>
            calls.forEach((planned, index) => {
              const id = `s${stepIndex + 1}c${index}`;
              const runs = executions.get(String(planned.value)) ?? 0;
              if (planned.bad) expect(runs).toBe(0);
              else expect(runs).toBeGreaterThanOrEqual(1);
              // Never run again once its result is journaled; a call in flight at a crash may run once more per crash.
              const atJournal = runsWhenJournaled.get(id);
              if (atJournal !== undefined) expect(runs).toBe(atJournal);
              expect(runs).toBeLessThanOrEqual(1 + crashes);
            }),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a resumed loop replays journaled results without calling the model for finished steps', async () => {
    const scenario: Scenario = [[{ bad: false, nested: false, value: 1 }], [{ bad: false, nested: false, value: 2 }]];
    const { attempt, executions } = harness(scenario);
    const first = attempt([], 6, 1); // agent.step, tool.called, tool.completed (step 1), agent.step, tool.called, tool.completed (step 2)
    await expect(first.promise).rejects.toBeInstanceOf(Crash);
    const second = attempt(first.host.journal, undefined, 2);
    const result = await second.promise;
    expect(result).toMatchObject({ output: 'answer[s1c0=v2;s2c0=v4]', steps: 3, toolCalls: 2 });
    expect(second.host.requests).toHaveLength(1);
    expect(second.host.journal.map((event) => event.type)).toEqual(['agent.step']);
    expect([...executions.values()]).toEqual([1, 1]);
  });
});
