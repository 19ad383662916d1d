/**
 * Agent runner overhead benchmark (not part of the test run): `pnpm --filter @runtime/agent bench`.
 *
 * A zero-latency scripted model and zero-latency tools, so what is measured is the loop itself. Each
 * case runs loops of STEPS model calls (the last one answers) and prints CPU µs per step for:
 *  - `bare loop`: the same fake client called in a hand-written loop (JSON.parse the arguments, call
 *    the tool, append the messages) — the floor of any agent loop;
 *  - `runner`: `createAgentRunner` with a host that calls the same client and journals into an array
 *    (limits, schema checks, per-call deadline timer, events, result pairing included);
 *  - `runner + admitTool`: the same, with a host that admits every tool call with a no-op permit
 *    (`AgentHost.admitTool`, ended once per call): the admission overhead per call.
 * Rounds alternate the three so machine noise hits all; the median round is reported.
 */
import { asModelId, asRunId, asTaskId, EMPTY_USAGE } from '@runtime/contracts';
import type { AgentEventInput, AgentHost, AgentToolPermit, LlmClient, LlmRequest, LlmResult, Message, ToolCall } from '@runtime/contracts';
import { z } from 'zod';
import { createAgentRunner, createToolRegistry, defineTool } from '../src/index.js';

const STEPS = 8;
const LOOPS_PER_ROUND = 2_000;
const ROUNDS = 9;
const usage = { ...EMPTY_USAGE, inputTokens: 10, outputTokens: 5 };

function scriptedClient(callsPerStep: number): LlmClient {
  return {
    provider: 'bench',
    complete(request: LlmRequest): Promise<LlmResult> {
      let step = 1;
      for (const message of request.messages) if (message.role === 'assistant') step += 1;
      if (step >= STEPS) return Promise.resolve({ output: 'done', usage, finishReason: 'stop' });
      const toolCalls: ToolCall[] = [];
      for (let index = 0; index < callsPerStep; index += 1) toolCalls.push({ id: `c${step}_${index}`, name: 'lookup', arguments: `{"key":"k${step}"}` });
      return Promise.resolve({ output: '', toolCalls, usage, finishReason: 'tool_calls' });
    },
  };
}

const lookup = defineTool({
  name: 'lookup',
  description: 'Looks a key up.',
  input: z.object({ key: z.string() }),
  execute: ({ key }) => Promise.resolve(`value of ${key}`),
});
const registry = createToolRegistry([lookup]);
const runner = createAgentRunner({ registry });
const opening: readonly Message[] = [{ role: 'user', content: 'go' }];

async function bareLoop(client: LlmClient): Promise<string> {
  const messages: Message[] = [...opening];
  for (let step = 1; step <= STEPS; step += 1) {
    const result = await client.complete({ model: asModelId('m'), messages: [...messages], maxOutputTokens: 64 });
    const calls = result.toolCalls ?? [];
    if (calls.length === 0) return result.output;
    messages.push({ role: 'assistant', content: result.output, toolCalls: calls });
    const outputs = await Promise.all(
      calls.map((call) => lookup.execute(JSON.parse(call.arguments), { signal: new AbortController().signal, runId: asRunId('r'), taskId: asTaskId('t') })),
    );
    calls.forEach((call, index) => messages.push({ role: 'tool', toolCallId: call.id, content: outputs[index] ?? '' }));
  }
  throw new Error('no answer');
}

const noOpPermit: AgentToolPermit = { end: () => Promise.resolve() };
const admitEverything: NonNullable<AgentHost['admitTool']> = () => Promise.resolve(noOpPermit);

async function runnerLoop(client: LlmClient, admitTool?: AgentHost['admitTool']): Promise<string> {
  const journal: AgentEventInput[] = [];
  const host: AgentHost = {
    ...(admitTool === undefined ? {} : { admitTool }),
    callModel: async (request) => {
      const result = await client.complete(request);
      return { result, usage: result.usage, costUsd: 0.000001 };
    },
    emit: (event) => {
      journal.push(event);
      return Promise.resolve();
    },
  };
  const result = await runner.run({
    runId: asRunId('r'),
    taskId: asTaskId('t'),
    model: asModelId('m'),
    maxOutputTokens: 64,
    messages: opening,
    tools: ['lookup'],
    limits: { maxSteps: STEPS, maxToolCallsPerRun: 1_000, maxDepth: 2 },
    host,
  });
  return result.output;
}

async function cpuMicrosPerStep(loop: (client: LlmClient) => Promise<string>, client: LlmClient): Promise<number> {
  const start = process.cpuUsage();
  for (let index = 0; index < LOOPS_PER_ROUND; index += 1) await loop(client);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (LOOPS_PER_ROUND * STEPS);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

for (const callsPerStep of [1, 3]) {
  const client = scriptedClient(callsPerStep);
  await bareLoop(client);
  const admittedLoop = (scripted: LlmClient) => runnerLoop(scripted, admitEverything);
  await runnerLoop(client);
  await admittedLoop(client); // warm up every path
  const bare: number[] = [];
  const full: number[] = [];
  const admitted: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    bare.push(await cpuMicrosPerStep(bareLoop, client));
    full.push(await cpuMicrosPerStep(runnerLoop, client));
    admitted.push(await cpuMicrosPerStep(admittedLoop, client));
  }
  const b = median(bare);
  const r = median(full);
  const a = median(admitted);
  console.log(
    `${callsPerStep} tool call(s)/step, ${STEPS} steps/loop: bare loop ${b.toFixed(2)} µs/step | runner ${r.toFixed(2)} µs/step | overhead ${(r - b).toFixed(2)} µs/step (${(r / b).toFixed(2)}×)`,
  );
  console.log(
    `${callsPerStep} tool call(s)/step, ${STEPS} steps/loop: runner + admitTool ${a.toFixed(2)} µs/step | admission ${(a - r).toFixed(2)} µs/step = ${((a - r) / callsPerStep).toFixed(2)} µs per tool call`,
  );
}
