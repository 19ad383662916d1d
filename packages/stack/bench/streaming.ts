/**
 * The cost of streaming a task (`pnpm --filter @runtime/stack bench:stream`): the full loop with the
 * real cost + context implementations and the deterministic mock provider (zero latency, a 40-word
 * answer = 40 text chunks), 1,000 independent tasks at maxParallelism 16, in-memory stores. Same
 * run, interleaved rounds, best of five:
 * - `complete`: tasks without `stream` (the baseline: one `complete` call each);
 * - `stream, no listener`: `stream: true`, nobody subscribed (chunks read, deltas only counted);
 * - `stream + subscribe`: `stream: true` with a `subscribe` listener (every delta becomes an event);
 * - `runtime.stream`: `stream: true` read through `runtime.stream` (events → parts the consumer
 *   takes). With a zero-latency provider 16 tasks write deltas faster than one consumer reads them,
 *   so the consumer's delta bound cuts most of them (the count printed); the per-task figure is what
 *   such a consumer costs, not a per-delta cost.
 */
import { createModelCatalog } from '@runtime/cost';
import { createMockLlmClient } from '@runtime/providers';
import type { RunSpec } from '@runtime/contracts';
import { createRuntime, OFFLINE_CATALOG } from '../src/index.js';

const TASKS = 1_000;
const ROUNDS = 5;
const ANSWER = Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ');

function runtime(): ReturnType<typeof createRuntime> {
  return createRuntime({
    catalog: createModelCatalog({ builtin: false, catalogs: [OFFLINE_CATALOG] }),
    clients: { mock: createMockLlmClient({ respond: () => ({ output: ANSWER }) }) },
    resilience: {},
  });
}

function spec(stream: boolean): RunSpec {
  return {
    tasks: Array.from({ length: TASKS }, (_, index) => ({ id: `t${index}`, prompt: `Task ${index}: answer in forty words.`, stream })),
    policy: { maxParallelism: 16 },
  };
}

type Mode = 'complete' | 'stream, no listener' | 'stream + subscribe' | 'runtime.stream';

async function measure(mode: Mode): Promise<{ ms: number; deltas: number }> {
  const rt = runtime();
  const started = performance.now();
  let deltas = 0;
  if (mode === 'runtime.stream') {
    for await (const part of rt.stream(spec(true))) {
      if (part.type === 'text-delta') deltas += 1;
      if (part.type === 'finish' && part.run.state !== 'completed') throw new Error(`run ${part.run.state}`);
    }
  } else if (mode === 'stream + subscribe') {
    const run = await rt.orchestrator.start(spec(true));
    rt.orchestrator.subscribe(run.id, (event) => {
      if (event.type === 'task.delta') deltas += 1;
    });
    const done = await rt.orchestrator.wait(run.id);
    if (done.state !== 'completed') throw new Error(`run ${done.state}`);
  } else {
    const run = await rt.run(spec(mode !== 'complete'));
    if (run.state !== 'completed') throw new Error(`run ${run.state}`);
  }
  const ms = performance.now() - started;
  await rt.close();
  return { ms, deltas };
}

const modes: Mode[] = ['complete', 'stream, no listener', 'stream + subscribe', 'runtime.stream'];
// Warm-up: tokenizer tables, JIT.
for (const mode of modes) await measure(mode);
const best = new Map<Mode, { ms: number; deltas: number }>();
for (let round = 0; round < ROUNDS; round += 1) {
  for (const mode of modes) {
    const result = await measure(mode);
    const previous = best.get(mode);
    if (previous === undefined || result.ms < previous.ms) best.set(mode, result);
  }
}
const baseline = best.get('complete')?.ms ?? Number.NaN;
console.log(`streaming overhead — ${TASKS} tasks, 40 chunks each, mock provider, best of ${ROUNDS} (node ${process.version})`);
for (const mode of modes) {
  const result = best.get(mode);
  if (result === undefined) continue;
  const perTask = (result.ms * 1000) / TASKS;
  const overhead = ((result.ms - baseline) * 1000) / TASKS;
  const perDelta = result.deltas > 0 ? ` (${result.deltas} of ${TASKS * 40} deltas delivered)` : '';
  console.log(`${mode.padEnd(22)} ${perTask.toFixed(1).padStart(7)} µs/task   ${mode === 'complete' ? 'baseline' : `+${overhead.toFixed(1)} µs/task`}${perDelta}`);
}
