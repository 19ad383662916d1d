/**
 * `pnpm demo`: the example plan run through the real HTTP sidecar on the mock provider.
 *
 * @remarks
 * Starts the sidecar on an ephemeral loopback port with a temporary SQLite journal, prints the
 * tier → model routing and the plan's worst-case cost, submits the plan with `POST /v1/runs`,
 * follows `GET /v1/runs/{id}/events` (SSE) for live per-task progress, then prints the billing
 * table including what every task on the flagship model would have cost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatUsd, type Run } from '@runtime/contracts';
import { pino } from 'pino';
import { renderBillingSummary, renderBreakdowns, summarizeBilling } from '../cli/billing-summary.js';
import { estimatePlan } from '../cli/estimate-plan.js';
import { loadPlan } from '../cli/load-plan.js';
import { createProgressPrinter } from '../cli/progress-printer.js';
import { loadConfig } from '../config/load-config.js';
import { startSidecar } from '../start-sidecar.js';
import { createDemoLlmClient } from './demo-llm-client.js';
import { readEventStream } from './read-event-stream.js';

/**
 * Options of {@link runDemo}.
 * @public
 */
export interface RunDemoOptions {
  /** Plan file (a RunSpec). */
  readonly planPath: string;
  /** Output lines. */
  readonly write: (line: string) => void;
  /** Divides every mock latency. @defaultValue 1 */
  readonly speed?: number;
}

/**
 * Runs the demo; resolves with the final run.
 * @public
 */
export async function runDemo(options: RunDemoOptions): Promise<Run> {
  const { write } = options;
  const spec = loadPlan(options.planPath);
  const directory = mkdtempSync(join(tmpdir(), 'agent-runtime-demo-'));
  const config = loadConfig({ env: { RUNTIME_PORT: '0', RUNTIME_DB: join(directory, 'runtime.db'), RUNTIME_LOG_LEVEL: 'silent' } });
  const sidecar = await startSidecar(config, {
    logger: pino({ level: 'silent' }),
    overrides: {
      clients: ({ catalog, estimator }) => {
        const client = createDemoLlmClient({ catalog, estimator, ...(options.speed === undefined ? {} : { speed: options.speed }) });
        const clients: Record<string, typeof client> = { mock: client };
        for (const model of catalog.list()) clients[model.provider] = client;
        return clients;
      },
    },
  });
  try {
    const { runtime, url } = sidecar;
    write(`agent-runtime demo — sidecar at ${url} (mock provider, SQLite journal in ${directory})`);
    write(`plan ${options.planPath}: ${spec.tasks.length} tasks`);
    for (const tier of [1, 2, 3] as const) {
      const model = runtime.catalog.forTier(tier);
      const count = spec.tasks.filter((task) => task.tier === tier).length;
      write(`  tier ${tier} → ${model.id.padEnd(18)} (${model.role}, $${model.pricing.inputPerMTok}/M in, $${model.pricing.outputPerMTok}/M out): ${count} tasks`);
    }
    const estimate = estimatePlan(runtime, spec);
    write(`worst case before running (every output at its cap): ${formatUsd(estimate.maxCost, 6)}`);
    write('');
    const created = await fetch(`${url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    const started = (await created.json()) as Run;
    if (created.status !== 201) throw new Error(`POST /v1/runs answered ${created.status}: ${JSON.stringify(started)}`);
    const printer = createProgressPrinter({
      write,
      tiers: new Map(spec.tasks.flatMap((task) => (task.tier === undefined ? [] : [[task.id, task.tier] as const]))),
      ...(started.budget === null ? {} : { budgetUsd: started.budget.limitUsd }),
    });
    const stream = await fetch(`${url}/v1/runs/${started.id}/events`);
    for await (const event of readEventStream(stream)) printer.onEvent(event);
    const run = (await (await fetch(`${url}/v1/runs/${started.id}`)).json()) as Run;
    write('');
    write(renderBillingSummary(summarizeBilling({ tasks: await runtime.store.getTasks(run.id), catalog: runtime.catalog, calculator: runtime.calculator })));
    const breakdowns = renderBreakdowns(runtime.usage.report({ runId: run.id }));
    if (breakdowns !== undefined) write(`\n${breakdowns}`);
    return run;
  } finally {
    await sidecar.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}
