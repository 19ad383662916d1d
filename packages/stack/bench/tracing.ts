/**
 * What tracing costs when `@opentelemetry/api` is installed but no SDK is registered (the API's
 * no-op tracer) — `pnpm --filter @runtime/stack bench:tracing`. Target: ≤ 2 µs per task.
 *
 * Same process, same run: the full loop (zero-latency model, 2,000 independent tasks,
 * maxParallelism 16, in-memory stores) with `tracing: false` (the baseline) and with tracing on,
 * alternated over 9 rounds each; the figure is the difference of the medians per task. Then the
 * provider-call decorator alone (CLIENT span per call): a traced vs an untraced client, 1,000,000
 * calls each, alternated.
 */
import { loadavg } from 'node:os';
import type { LlmClient, LlmResult, TaskSpec } from '@runtime/contracts';
import { createRuntime } from '../src/index.js';
import { createTracing } from '../src/tracing.js';

const ANSWER: LlmResult = {
  output: 'A one-line summary of the inputs.',
  usage: { inputTokens: 40, outputTokens: 8, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  finishReason: 'stop',
};
const llm: LlmClient = { provider: 'bench', complete: () => Promise.resolve(ANSWER) };
const TASKS = 2_000;
const ROUNDS = 9;
const tasks: TaskSpec[] = Array.from({ length: TASKS }, (_, index) => ({ id: `t${index}`, prompt: `Task ${index}: one line.` }));

async function runOnce(tracing: boolean): Promise<number> {
  const runtime = createRuntime({ llm, tracing, defaultMaxParallelism: 16 });
  const started = performance.now();
  const run = await runtime.run({ tasks, policy: { maxParallelism: 16 } });
  const elapsed = performance.now() - started;
  if (run.state !== 'completed') throw new Error(`run ${run.state}`);
  await runtime.close();
  return elapsed;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function calls(client: LlmClient, count: number): Promise<number> {
  const request = { model: 'bench-model' as never, messages: [], maxOutputTokens: 8 };
  const options = { context: { runId: 'r' as never, taskId: 't' as never, attempt: 1 } };
  const started = performance.now();
  for (let index = 0; index < count; index += 1) await client.complete(request, options);
  return performance.now() - started;
}

async function main(): Promise<void> {
  console.log(`tracing overhead without an SDK (@opentelemetry/api no-op tracer) — node ${process.version}, load ${loadavg()[0]?.toFixed(2)}`);
  // Warm-up of both paths.
  await runOnce(false);
  await runOnce(true);
  const off: number[] = [];
  const on: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    off.push(await runOnce(false));
    on.push(await runOnce(true));
  }
  const offPerTask = (median(off) * 1000) / TASKS;
  const onPerTask = (median(on) * 1000) / TASKS;
  console.log(`full loop, ${TASKS} tasks × ${ROUNDS} rounds (median per task):`);
  console.log(`  tracing off (baseline)   ${offPerTask.toFixed(2)} µs/task`);
  console.log(`  tracing on, no SDK       ${onPerTask.toFixed(2)} µs/task`);
  console.log(`  overhead                 ${(onPerTask - offPerTask).toFixed(2)} µs/task (target ≤ 2)`);

  const tracing = createTracing(true);
  if (tracing === undefined) throw new Error('@opentelemetry/api is not installed');
  const traced = tracing.wrapClient(llm);
  const COUNT = 1_000_000;
  await calls(llm, 50_000);
  await calls(traced, 50_000);
  const raw: number[] = [];
  const wrapped: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    raw.push(await calls(llm, COUNT / 5));
    wrapped.push(await calls(traced, COUNT / 5));
  }
  const rawPerCall = (median(raw) * 1e6) / (COUNT / 5);
  const wrappedPerCall = (median(wrapped) * 1e6) / (COUNT / 5);
  console.log(`provider-call decorator, ${COUNT} calls (median of 5 batches):`);
  console.log(`  untraced client          ${rawPerCall.toFixed(0)} ns/call`);
  console.log(`  traced client, no SDK    ${wrappedPerCall.toFixed(0)} ns/call`);
  console.log(`  overhead                 ${(wrappedPerCall - rawPerCall).toFixed(0)} ns/call`);
}

await main();
