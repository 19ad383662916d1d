/**
 * The example itself: (1) an LCEL chain under a hard budget with exact cost per call, and a call
 * the budget refuses before the model is reached; (2) a DAG of LangChain calls run by the runtime
 * (bounded parallelism, budget, dependency outputs routed) — in-process with `createRuntime`, or
 * on the sidecar over HTTP when a runtime URL is given.
 */
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { BudgetError, formatUsd, moneyToUsd, usd, type Run, type RunSpec } from '@runtime/contracts';
import { createBudgetLedger, createCostCalculator, createModelCatalog, createTokenEstimator, createUsageTracker } from '@runtime/cost';
import { fromLangChain, RuntimeCallbackHandler, SidecarRunRunnable } from '@runtime/langchain';
import { createRuntime } from '@runtime/stack';
import { createOfflineModel, EXAMPLE_CATALOG } from './example-models.js';

/**
 * Options of {@link runExample}.
 */
export interface RunExampleOptions {
  /** The sidecar's URL: the DAG runs there instead of in-process. */
  readonly runtimeUrl?: string;
  /** The sidecar's API key. */
  readonly apiKey?: string;
  /** Where lines go. @defaultValue `console.log` */
  readonly log?: (line: string) => void;
}

/**
 * What the example did, for its test.
 */
export interface ExampleSummary {
  /** The chain's answers. */
  readonly answers: readonly string[];
  /** Exact cost of the chain's calls, USD. */
  readonly chainCostUsd: number;
  /** Spend the ledger recorded for the chain's scope, USD. */
  readonly chainSpentUsd: number;
  /** Whether the over-budget call was refused, and how many model calls it made (0). */
  readonly refusal: { readonly code: string; readonly modelCalls: number };
  /** The DAG run. */
  readonly run: Run;
  /** Event types seen while the DAG ran (sidecar mode only). */
  readonly eventTypes: readonly string[];
}

/** The DAG: two research tasks in parallel, then a summary that receives both outputs. */
export const EXAMPLE_DAG: RunSpec = {
  tasks: [
    { id: 'research-costs', prompt: 'List three ways LLM costs surprise teams.', maxOutputTokens: 256 },
    { id: 'research-budgets', prompt: 'List three ways to enforce an LLM budget.', maxOutputTokens: 256 },
    { id: 'summary', prompt: 'Summarize both lists in two sentences.', deps: ['research-costs', 'research-budgets'], maxOutputTokens: 256 },
  ],
  policy: { maxParallelism: 2, budgetUsd: 0.05 },
};

/** Runs the example. */
export async function runExample(options: RunExampleOptions = {}): Promise<ExampleSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  const catalog = createModelCatalog({ builtin: false, catalogs: [EXAMPLE_CATALOG] });
  const calculator = createCostCalculator({ catalog });
  const estimator = createTokenEstimator({ catalog });

  // (1) An LCEL chain under a budget of $0.01 in scope user:demo.
  log('1. LCEL chain (prompt → chat model → parser) with RuntimeCallbackHandler, budget $0.01');
  const ledger = createBudgetLedger();
  const usage = createUsageTracker();
  await ledger.setLimit('user:demo', usd('0.01'));
  const handler = new RuntimeCallbackHandler({ ledger, calculator, estimator, usage, scopes: ['user:demo'], runId: 'chain' });
  const prompt = ChatPromptTemplate.fromMessages([
    ['system', 'You are a concise assistant.'],
    ['human', 'Explain {topic} in one sentence.'],
  ]);
  const chain = prompt.pipe(createOfflineModel()).pipe(new StringOutputParser());
  const answers: string[] = [];
  for (const topic of ['prompt caching', 'reasoning tokens']) {
    const answer = await chain.invoke({ topic }, { callbacks: [handler] });
    answers.push(answer);
    log(`   ${topic}: ${answer}`);
  }
  const totals = usage.totals({ runId: 'chain' });
  const snapshot = await ledger.snapshot('user:demo');
  log(
    `   ${totals.calls} calls, ${totals.usage.inputTokens} input tokens (${totals.usage.cacheReadTokens} from cache), ` +
      `${totals.usage.outputTokens} output (${totals.usage.reasoningTokens} reasoning): ${formatUsd(totals.cost, 9)}; ledger spent ${formatUsd(snapshot.spent, 9)}, reserved ${formatUsd(snapshot.reserved, 9)}`,
  );

  // A call whose worst case (4,096 output tokens at $15/M ≈ $0.06) cannot fit $0.001 is refused
  // by the handler before the model is called.
  await ledger.setLimit('user:tight', usd('0.001'));
  const tight = new RuntimeCallbackHandler({ ledger, calculator, estimator, usage, scopes: ['user:tight'], runId: 'tight' });
  const bigModel = createOfflineModel(4_096);
  let refusal = { code: 'none', modelCalls: bigModel.calls };
  try {
    await prompt.pipe(bigModel).invoke({ topic: 'budgets' }, { callbacks: [tight] });
  } catch (error) {
    if (!BudgetError.isInstance(error)) throw error;
    refusal = { code: error.code, modelCalls: bigModel.calls };
    log(`   refused before the call: ${error.code} (${error.message}); model calls: ${bigModel.calls}`);
  }

  // (2) A DAG of LangChain calls run by the runtime.
  let run: Run;
  const eventTypes: string[] = [];
  if (options.runtimeUrl === undefined) {
    log('2. DAG of LangChain calls run in-process by createRuntime (fromLangChain client, budget $0.05, 2 in parallel)');
    const runtime = createRuntime({ catalog, estimator, costs: calculator, clients: { langchain: fromLangChain(createOfflineModel(), { provider: 'langchain' }) } });
    try {
      run = await runtime.run(EXAMPLE_DAG);
    } finally {
      await runtime.close();
    }
  } else {
    log(`2. DAG submitted to the sidecar at ${options.runtimeUrl} (SidecarRunRunnable), events streamed`);
    const sidecar = new SidecarRunRunnable({ url: options.runtimeUrl, ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }) });
    let runId: string | undefined;
    for await (const event of await sidecar.stream(EXAMPLE_DAG)) {
      if (!('type' in event) || !('seq' in event)) continue;
      runId = event.runId;
      eventTypes.push(event.type);
      log(`   #${event.seq} ${event.type}${'taskId' in event && event.taskId !== undefined ? ` ${event.taskId}` : ''}`);
    }
    if (runId === undefined) throw new Error('The sidecar streamed no event.');
    run = await sidecar.fetchRun(runId);
  }
  for (const task of run.tasks) log(`   ${task.id}: ${task.state}, $${task.usage.costUsd} — ${(task.output ?? '').slice(0, 60)}`);
  log(`   run ${run.state}: ${run.usage.inputTokens} input / ${run.usage.outputTokens} output tokens, $${run.usage.costUsd}`);
  return { answers, chainCostUsd: moneyToUsd(totals.cost), chainSpentUsd: moneyToUsd(snapshot.spent), refusal, run, eventTypes };
}
