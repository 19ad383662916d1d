/**
 * Orchestration benchmarks (`pnpm --filter @runtime/orchestration bench`). Each scenario runs in
 * its own child process so its peak RSS is its own; each timing is the best of 3 runs. Baselines
 * run in the same invocation.
 *
 * 1. Scheduling overhead: zero-latency LLM, random layered DAG (20 layers, 1–3 deps), p = 16:
 *    the orchestrator loop (trivial in-memory collaborators — the loop with the real cost and
 *    context packages is in @runtime/stack's bench) vs a minimal in-degree + p-limit scheduler
 *    at 10,000 tasks, and vs LangGraph.js at 1,000 tasks.
 * 2. Makespan: 200 tasks (10 layers), seeded 5–50 ms latencies, p = 8, vs FIFO and the lower bound.
 * 3. SQLite journal: commits per second (1 task record + 2 events each) in WAL mode.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asRunId, asTaskId, type LlmClient, type Orchestrator, type LlmResult, type RuntimeEvent, type TaskRecord, type TaskSpec } from '@runtime/contracts';
import { createSqliteRunStore } from '../src/sqlite.js';
import { layeredDag, seededRandom } from '../test/support/layered-dag.js';
import { createScriptedLlm } from '../src/testing.js';
import { fakeBuilder, fakeCatalog, fakeCompactor, fakeCosts, fakeEstimator, fakeLedger, fakeRouter } from '../test/support/fakes.js';
import type * as Orchestration from '../src/index.js';
import { langGraph, minimalScheduler } from './baselines.js';
import { bottomLevels, makespanBound, simulate, type Priority } from './list-schedule.js';

// BENCH_TARGET=dist measures the built package (what users run; `pnpm bench:dist` builds it first).
// The default measures the source through tsx, whose transform adds a call per closure created
// (esbuild's keepNames) — a visible share of a loop that creates several closures per task.
const TARGET = process.env.BENCH_TARGET === 'dist' ? 'dist' : 'source (tsx)';
const { createMemoryRunStore, createOrchestrator } = (TARGET === 'dist'
  ? await import(new URL('../dist/index.js', import.meta.url).href)
  : await import('../src/index.js')) as typeof Orchestration;

/** The orchestrator with trivial in-memory collaborators (the test fakes). */
function harness(llm: LlmClient): { orchestrator: Orchestrator } {
  const estimator = fakeEstimator();
  return {
    orchestrator: createOrchestrator({
      catalog: fakeCatalog(),
      estimator,
      costs: fakeCosts(),
      ledger: fakeLedger(),
      builder: fakeBuilder(estimator),
      compactor: fakeCompactor(estimator),
      router: fakeRouter(estimator),
      llm,
      store: createMemoryRunStore(),
      onBackgroundError: () => undefined,
    }),
  };
}

interface Result {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** CPU time (user + system) per task, less sensitive than wall time to other load on the machine. */
  readonly cpu?: number;
  readonly rssMb: number;
  readonly note?: string;
}

const zero = (): Promise<void> => Promise.resolve();

function rssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

let lastCpuMs = 0;

/**
 * Wall ms of `run`, the best of `REPEAT` runs (the machine is shared: the minimum is the figure
 * least disturbed by other load); the CPU ms of that run is left in `lastCpuMs`.
 */
const REPEAT = 3;
async function time(run: () => Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < REPEAT; attempt += 1) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await run();
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (wall < best) {
      best = wall;
      lastCpuMs = (used.user + used.system) / 1000;
    }
  }
  return best;
}

/** A zero-latency model that keeps nothing: the scripted test LLM logs every call, which would be measured too. */
const zeroLatencyLlm: LlmClient = {
  provider: 'bench',
  complete: () => Promise.resolve(ANSWER),
};
const ANSWER: LlmResult = {
  output: 'ok',
  usage: { inputTokens: 20, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  finishReason: 'stop',
};

async function runOnce(tasks: readonly TaskSpec[], parallelism: number, latency: (id: string) => number): Promise<void> {
  const llm = latency('t0') === 0 ? zeroLatencyLlm : createScriptedLlm({ latency });
  const { orchestrator } = harness(llm);
  const run = await orchestrator.start({ tasks, policy: { maxParallelism: parallelism } });
  const done = await orchestrator.wait(run.id);
  if (done.state !== 'completed') throw new Error(`run ${done.state}`);
}

async function orchestratorRun(tasks: readonly TaskSpec[], parallelism: number, latency: (id: string) => number): Promise<number> {
  return time(() => runOnce(tasks, parallelism, latency));
}

/**
 * A 1,000-task run takes ≈ 15 ms, short enough for one scheduling hiccup of the shared machine to
 * double it: each sample is a batch of `BATCH` runs (≈ as long as one LangGraph.js run), best of 3.
 */
const BATCH = 20;

const scenarios: Record<string, () => Promise<Result>> = {
  async 'orchestrator-10k'() {
    const tasks = layeredDag(10_000, 20, 1);
    await orchestratorRun(layeredDag(1_000, 20, 2), 16, () => 0); // warm-up
    const ms = await orchestratorRun(tasks, 16, () => 0);
    return { name: 'orchestrator loop, 10,000 tasks', value: (ms * 1000) / tasks.length, cpu: (lastCpuMs * 1000) / tasks.length, unit: 'µs/task', rssMb: rssMb() };
  },
  async 'minimal-10k'() {
    const tasks = layeredDag(10_000, 20, 1);
    await minimalScheduler(layeredDag(1_000, 20, 2), 16, zero);
    const ms = await time(() => minimalScheduler(tasks, 16, zero));
    return { name: 'minimal in-degree + p-limit, 10,000 tasks', value: (ms * 1000) / tasks.length, cpu: (lastCpuMs * 1000) / tasks.length, unit: 'µs/task', rssMb: rssMb() };
  },
  async 'orchestrator-1k'() {
    const tasks = layeredDag(1_000, 20, 1);
    for (let warmUp = 0; warmUp < 3; warmUp += 1) await orchestratorRun(layeredDag(1_000, 20, 2 + warmUp), 16, () => 0);
    const ms =
      (await time(async () => {
        for (let run = 0; run < BATCH; run += 1) await runOnce(tasks, 16, () => 0);
      })) / BATCH;
    const cpu = lastCpuMs / BATCH;
    return { name: 'orchestrator loop, 1,000 tasks', value: (ms * 1000) / tasks.length, cpu: (cpu * 1000) / tasks.length, unit: 'µs/task', rssMb: rssMb(), note: `mean of batches of ${BATCH} runs, best of ${REPEAT} batches` };
  },
  async 'langgraph-1k'() {
    const tasks = layeredDag(1_000, 20, 1);
    await langGraph(layeredDag(200, 20, 2), 16, zero); // warm-up
    const ms = await time(() => langGraph(tasks, 16, zero));
    return { name: 'LangGraph.js, 1,000 tasks', value: (ms * 1000) / tasks.length, cpu: (lastCpuMs * 1000) / tasks.length, unit: 'µs/task', rssMb: rssMb(), note: '10,000 not attempted (≈9 ms/task measured upstream)' };
  },
  async makespan() {
    const tasks = layeredDag(200, 10, 7);
    const random = seededRandom(42);
    const latency = new Map(tasks.map((task) => [task.id, 5 + Math.floor(random() * 46)]));
    const of = (id: string): number => latency.get(id) ?? 0;
    const nominal = makespanBound(tasks, 8, of);
    // What ordering can reach with these latencies and no overhead at all (simulated list scheduling):
    const pathInTasks = bottomLevels(tasks, () => 1);
    const pathInMs = bottomLevels(tasks, of);
    const idRank = new Map([...tasks.map((task) => task.id)].sort().map((id, rank) => [id, rank]));
    const fifoOrder: Priority = (_id, readyAt, index) => [readyAt, index];
    const ourOrder: Priority = (id) => [-(pathInTasks.get(id) ?? 0), idRank.get(id) ?? 0];
    const simulated = {
      fifo: simulate(tasks, 8, of, fifoOrder),
      ours: simulate(tasks, 8, of, ourOrder), // as DagScheduler orders
      oracle: simulate(tasks, 8, of, (id) => [-(pathInMs.get(id) ?? 0), idRank.get(id) ?? 0]),
    };
    // Real runs, best of REPEAT; each call's real duration is recorded (timer overshoot included)
    // so the bound can also be taken over what the calls really took.
    const realRun = async (
      order: Priority,
      run: (record: (id: string, ms: number) => void) => Promise<number | undefined>,
    ): Promise<{ ms: number; realBound: number; replayed: number; span: number | undefined }> => {
      let best = { ms: Number.POSITIVE_INFINITY, realBound: Number.NaN, replayed: Number.NaN, span: undefined as number | undefined };
      for (let attempt = 0; attempt < REPEAT; attempt += 1) {
        const took = new Map<string, number>();
        const started = performance.now();
        const span = await run((id, ms) => took.set(id, ms));
        const ms = performance.now() - started;
        const real = (id: string): number => took.get(id) ?? 0;
        // `replayed`: the run's ordering simulated over the real durations — the rest of the gap is loop and event-loop latency.
        if (ms < best.ms) best = { ms, realBound: makespanBound(tasks, 8, real).bound, replayed: simulate(tasks, 8, real, order), span };
      }
      return best;
    };
    // Warm-up with zero latency: without it the first measured run also pays for compiling the
    // loop (a cold `start` of these 200 tasks took 14 ms against 1.4 ms warm).
    for (let warmUp = 0; warmUp < 5; warmUp += 1) {
      await runOnce(tasks, 8, () => 0);
      await minimalScheduler(tasks, 8, zero);
    }
    const sleep = (id: string): Promise<void> => new Promise((resolve) => setTimeout(resolve, of(id)));
    const fifo = await realRun(fifoOrder, async (record) => {
      await minimalScheduler(tasks, 8, async (id) => {
        const started = performance.now();
        await sleep(id);
        record(id, performance.now() - started);
      });
      return undefined;
    });
    let firstCall = Number.POSITIVE_INFINITY;
    let lastEnd = 0;
    const ours = await realRun(ourOrder, async (record) => {
      firstCall = Number.POSITIVE_INFINITY;
      lastEnd = 0;
      const inner = createScriptedLlm({ latency: of });
      const llm: LlmClient = {
        provider: inner.provider,
        async complete(request, options) {
          const started = performance.now();
          const result = await inner.complete(request, options);
          const ended = performance.now();
          record(options?.context?.taskId ?? '', ended - started);
          firstCall = Math.min(firstCall, started);
          lastEnd = Math.max(lastEnd, ended);
          return result;
        },
      };
      const { orchestrator } = harness(llm);
      const run = await orchestrator.start({ tasks, policy: { maxParallelism: 8 } });
      const done = await orchestrator.wait(run.id);
      if (done.state !== 'completed') throw new Error(`run ${done.state}`);
      return lastEnd - firstCall; // first call made to last call ended: without run start and finish
    });
    const ratio = (value: number, bound: number): string => `${(value / bound).toFixed(3)}×`;
    return {
      name: 'makespan, 200 tasks, 5–50 ms, p = 8',
      value: ours.ms / nominal.bound,
      unit: '× bound',
      rssMb: rssMb(),
      note:
        `orchestrator ${ours.ms.toFixed(0)} ms (${ratio(ours.ms, nominal.bound)}; ${ratio(ours.ms, ours.realBound)} the bound over the real call durations; ` +
        `its ordering replayed over those durations with zero overhead ${ratio(ours.replayed, ours.realBound)}; first call to last call end ${ratio(ours.span ?? Number.NaN, ours.realBound)}), ` +
        `FIFO p-limit ${fifo.ms.toFixed(0)} ms (${ratio(fifo.ms, nominal.bound)}; ${ratio(fifo.ms, fifo.realBound)} real; replayed ${ratio(fifo.replayed, fifo.realBound)}); ` +
        `bound ${nominal.bound.toFixed(0)} ms (critical path ${nominal.critical} ms, work/8 ${nominal.work.toFixed(0)} ms); ` +
        `simulated with exact latencies, zero overhead: FIFO ${ratio(simulated.fifo, nominal.bound)}, critical path in tasks (ours) ${ratio(simulated.ours, nominal.bound)}, ` +
        `oracle critical path in ms ${ratio(simulated.oracle, nominal.bound)}`,
    };
  },
  async sqlite() {
    const folder = mkdtempSync(join(tmpdir(), 'orchestration-bench-'));
    try {
      const results: string[] = [];
      let normalRate = 0;
      for (const synchronous of ['normal', 'full'] as const) {
        const store = createSqliteRunStore({ path: join(folder, `${synchronous}.db`), synchronous });
        const runId = asRunId('bench');
        await store.createRun({ id: runId, tenant: 't', spec: { tasks: [{ id: 'a', prompt: 'x' }] }, state: 'running', createdAt: 'x', updatedAt: 'x', lastSeq: 0 }, []);
        const commits = synchronous === 'normal' ? 5_000 : 1_000;
        let seq = 0;
        const started = performance.now();
        for (let index = 0; index < commits; index += 1) {
          const task: TaskRecord = {
            runId,
            id: asTaskId(`t${index}`),
            index,
            spec: { id: `t${index}`, prompt: 'Summarise the inputs.' },
            state: 'completed',
            model: 'm',
            attempts: 1,
            output: 'output text of a task',
            usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
            cost: 140_000_000_000n as TaskRecord['cost'],
          };
          const events: RuntimeEvent[] = [
            { type: 'budget.settled', runId, seq: ++seq, at: 'x', taskId: task.id, reservationId: 'r', costUsd: 0.00014, reservedUsd: 0.001 },
            { type: 'task.completed', runId, seq: ++seq, at: 'x', taskId: task.id, attempt: 1, usage: { ...task.usage, costUsd: 0.00014 }, costUsd: 0.00014 },
          ];
          await store.commit(runId, { tasks: [task], events });
        }
        const rate = commits / ((performance.now() - started) / 1000);
        if (synchronous === 'normal') normalRate = rate;
        results.push(`synchronous=${synchronous}: ${Math.round(rate)} commits/s (${Math.round(rate * 3)} rows/s)`);
        await store.close();
      }
      return { name: 'SQLite journal commits (WAL)', value: normalRate, unit: 'commits/s', rssMb: rssMb(), note: results.join('; ') };
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  },
};

const scenario = process.argv[2];
if (scenario !== undefined) {
  const run = scenarios[scenario];
  if (run === undefined) throw new Error(`unknown scenario ${scenario}`);
  process.stdout.write(`${JSON.stringify(await run())}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  const results: Record<string, Result> = {};
  console.log(`${TARGET}, node ${process.version}, load average ${loadavg().map((load) => load.toFixed(1)).join(' ')}`);
  for (const name of Object.keys(scenarios)) {
    const child = spawnSync(process.execPath, [...process.execArgv, self, name], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (child.status !== 0) throw new Error(`${name} failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Result;
    results[name] = result;
    const cpu = result.cpu === undefined ? '' : ` (CPU ${result.cpu.toFixed(2)})`;
    console.log(`${result.name.padEnd(44)} ${result.value.toFixed(result.unit === '× bound' ? 3 : 2).padStart(10)} ${result.unit}${cpu}  peak RSS ${result.rssMb} MB${result.note === undefined ? '' : `  — ${result.note}`}`);
  }
  const ours = results['orchestrator-10k']?.value ?? NaN;
  const minimal = results['minimal-10k']?.value ?? NaN;
  const ours1k = results['orchestrator-1k']?.value ?? NaN;
  const graph = results['langgraph-1k']?.value ?? NaN;
  const cpuRatio = (results['orchestrator-10k']?.cpu ?? NaN) / (results['minimal-10k']?.cpu ?? NaN);
  const graphCpu = results['langgraph-1k']?.cpu ?? NaN;
  console.log(
    `\norchestrator / minimal at 10,000 tasks: ${(ours / minimal).toFixed(2)}× wall, ${cpuRatio.toFixed(2)}× CPU`,
  );
  console.log(
    `LangGraph.js (1,000) / orchestrator: ${(graph / ours1k).toFixed(0)}× wall, ${(graphCpu / (results['orchestrator-1k']?.cpu ?? NaN)).toFixed(0)}× CPU at 1,000 tasks; ` +
      `${(graph / ours).toFixed(0)}× wall, ${(graphCpu / (results['orchestrator-10k']?.cpu ?? NaN)).toFixed(0)}× CPU against the orchestrator's 10,000-task figure`,
  );
}
