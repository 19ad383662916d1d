/**
 * The `runtime` command line: `serve`, `run`, `estimate`, `plan`, `models`.
 *
 * @remarks
 * Exit codes: 0 success; 1 the run ended `failed` or `aborted`; 2 bad input (config, plan, PRD,
 * unknown model, invalid DAG, a budget no plan fits); 3 internal error. `--json` prints one JSON document on stdout and
 * nothing else.
 */
import { formatUsd, moneyToUsd, RuntimeError, toErrorInfo, type ErrorInfo } from '@runtime/contracts';
import { planCommand } from '@runtime/planner';
import { Command, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { loadConfig, type ResolvedConfig } from '../config/load-config.js';
import { createSidecarRuntime, type SidecarRuntimeOverrides } from '../runtime/create-sidecar-runtime.js';
import { startSidecar } from '../start-sidecar.js';
import { billingToJson } from './billing-json.js';
import { estimatePlan } from './estimate-plan.js';
import { loadPlan } from './load-plan.js';
import { loadPlannerScript, readPrd, renderPlanSummary, writeFileAtomically } from './plan-prd.js';
import { runPlan } from './run-plan.js';

/**
 * Process exit codes of the CLI.
 * @public
 */
export const EXIT_CODES = { ok: 0, runFailed: 1, badInput: 2, internal: 3 } as const;

/**
 * Where the CLI writes and what it may replace.
 * @public
 */
export interface CliIo {
  /** stdout line. */
  readonly out: (line: string) => void;
  /** stderr line. */
  readonly err: (line: string) => void;
  /** Environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Replacements for parts of the runtime (demo, tests). */
  readonly overrides?: SidecarRuntimeOverrides;
}

/** Printed on stderr by `plan` on the mock provider without `--script`. */
const MOCK_PLANNER_NOTICE =
  'note: the mock provider echoes prompts, so it cannot answer the planner\'s structured prompts; pass --script <file> with the answers by planner stage to plan offline.';

/** Printed on stderr when no provider is configured: answers are echoes, costs are illustrative. */
const MOCK_PROVIDER_NOTICE =
  'note: no providers configured — running on the offline mock provider (answers echo the prompt; costs are what the catalog models would charge). Configure providers in RUNTIME_CONFIG for real calls.';

interface CommonOptions {
  readonly config?: string;
  readonly json?: boolean;
}

function exitCodeOf(error: unknown): number {
  if (!RuntimeError.isInstance(error)) return EXIT_CODES.internal;
  return error.code === 'INTERNAL' || error.code === 'STORE_ERROR' ? EXIT_CODES.internal : EXIT_CODES.badInput;
}

function errorInfoOf(error: unknown): ErrorInfo {
  if (RuntimeError.isInstance(error)) return toErrorInfo(error);
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error), details: {} };
}

function configFor(options: CommonOptions, io: CliIo, forRun: boolean): ResolvedConfig {
  const env = forRun && io.env['RUNTIME_DB'] === undefined ? { ...io.env, RUNTIME_DB: 'memory' } : io.env;
  return loadConfig({ env, ...(options.config === undefined ? {} : { path: options.config }) });
}

/**
 * Runs the CLI with `argv` (without the node and script entries); resolves with the exit code.
 * @public
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT_CODES.ok;
  const program = new Command('runtime')
    .description('agent-runtime: run DAGs of LLM tasks with exact usage and cost')
    .version(`runtime ${packageJson.version} (node ${process.version})`, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) });

  const fail = (error: unknown, json: boolean | undefined): void => {
    const info = errorInfoOf(error);
    if (json === true) io.out(JSON.stringify({ error: info }));
    else io.err(`error ${info.code}: ${info.message}`);
    exitCode = exitCodeOf(error);
  };

  program
    .command('serve')
    .description('start the HTTP sidecar (config: RUNTIME_CONFIG or --config)')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('-p, --port <port>', 'listen port (overrides config)')
    .option('-H, --host <host>', 'listen host (overrides config)')
    .action(async (options: CommonOptions & { port?: string; host?: string }) => {
      const env = { ...io.env, ...(options.port === undefined ? {} : { RUNTIME_PORT: options.port }), ...(options.host === undefined ? {} : { RUNTIME_HOST: options.host }) };
      try {
        const config = loadConfig({ env, ...(options.config === undefined ? {} : { path: options.config }) });
        if (config.config.providers === undefined && io.overrides?.clients === undefined) io.err(MOCK_PROVIDER_NOTICE);
        await startSidecar(config, { handleSignals: true, env, ...(io.overrides === undefined ? {} : { overrides: io.overrides }) });
        await new Promise<never>(() => undefined);
      } catch (error) {
        fail(error, false);
      }
    });

  program
    .command('run')
    .description('run a plan (RunSpec as YAML or JSON) in-process with live progress and a billing table')
    .argument('<plan>', 'plan file')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('--json', 'print one JSON document {run, billing} instead of progress')
    .addOption(new Option('--budget <usd>', 'run budget in USD (overrides the plan)').argParser(Number))
    .action(async (planPath: string, options: CommonOptions & { budget?: number }) => {
      try {
        const plan = loadPlan(planPath);
        const spec =
          options.budget === undefined ? plan : { ...plan, policy: { ...plan.policy, budgetUsd: options.budget } };
        const config = configFor(options, io, true);
        if (config.config.providers === undefined && io.overrides?.clients === undefined) io.err(MOCK_PROVIDER_NOTICE);
        const runtime = await createSidecarRuntime(config, { env: io.env, ...io.overrides });
        try {
          const result = await runPlan({ runtime, spec, ...(options.json === true ? {} : { write: io.out }) });
          if (options.json === true) io.out(JSON.stringify({ run: result.run, billing: billingToJson(result.billing) }));
          exitCode = result.run.state === 'completed' ? EXIT_CODES.ok : EXIT_CODES.runFailed;
        } finally {
          await runtime.close();
        }
      } catch (error) {
        fail(error, options.json);
      }
    });

  program
    .command('estimate')
    .description('worst-case cost of a whole plan before running it')
    .argument('<plan>', 'plan file')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('--json', 'print JSON')
    .action(async (planPath: string, options: CommonOptions) => {
      try {
        const spec = loadPlan(planPath);
        const runtime = await createSidecarRuntime(configFor(options, io, true), { env: io.env, ...io.overrides });
        try {
          const estimate = estimatePlan(runtime, spec);
          if (options.json === true) {
            io.out(
              JSON.stringify({
                maxCostUsd: estimate.maxCostUsd,
                tasks: estimate.tasks.map(({ maxCost, ...task }) => ({ ...task, maxCostUsd: moneyToUsd(maxCost) })),
              }),
            );
          } else {
            for (const task of estimate.tasks) {
              io.out(`${task.id.padEnd(28)} ${task.model.padEnd(20)} ${String(task.inputTokens).padStart(8)} in ≤ ${String(task.maxOutputTokens).padStart(6)} out  ≤ ${formatUsd(task.maxCost, 6)}`);
            }
            io.out(`worst case for ${estimate.tasks.length} tasks: ${formatUsd(estimate.maxCost, 6)}`);
          }
        } finally {
          await runtime.close();
        }
      } catch (error) {
        fail(error, options.json);
      }
    });

  program
    .command('plan')
    .description('plan a PRD (markdown) into a tiered task DAG, fit it to a budget, write it, optionally run it')
    .argument('<prd>', 'PRD markdown file')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .addOption(new Option('--budget <usd>', 'fit the plan to this budget in USD (degrades tiers and caps, least critical first)').argParser(Number))
    .option('-o, --out <file>', 'write the plan document (JSON, also valid YAML); replaces the file atomically')
    .option('--run', 'run the plan once made, with live progress and a billing table (like `runtime run`)')
    .option('--model <id>', 'catalog model for the planning calls (default: the flagship model)')
    .option('--script <file>', 'answer the planning calls from this JSON/YAML file of answers by planner stage (offline use)')
    .option('--json', 'print one JSON document {plan, run?, billing?} instead of the summary and progress')
    .action(
      async (
        prdPath: string,
        options: CommonOptions & { budget?: number; out?: string; run?: boolean; model?: string; script?: string },
      ) => {
        try {
          const prd = readPrd(prdPath);
          const script = options.script === undefined ? undefined : loadPlannerScript(options.script);
          const config = configFor(options, io, true);
          if (config.config.providers === undefined && io.overrides?.clients === undefined) {
            io.err(MOCK_PROVIDER_NOTICE);
            if (script === undefined) io.err(MOCK_PLANNER_NOTICE);
          }
          const runtime = await createSidecarRuntime(config, { env: io.env, ...io.overrides });
          try {
            const model = options.model === undefined ? runtime.catalog.forRole('flagship').id : runtime.catalog.get(options.model).id;
            const result = await planCommand(
              { prd, ...(options.budget === undefined ? {} : { budgetUsd: options.budget }) },
              { planner: { llm: script ?? runtime.llm, model }, catalog: runtime.catalog, estimator: runtime.estimator, calculator: runtime.calculator },
            );
            if (options.out !== undefined) writeFileAtomically(options.out, `${result.document}\n`);
            if (options.json !== true) {
              for (const line of renderPlanSummary(result)) io.out(line);
              if (options.out !== undefined) io.out(`wrote ${options.out}`);
            }
            if (options.run !== true) {
              if (options.json === true) io.out(JSON.stringify({ plan: JSON.parse(result.document) as unknown }));
              return;
            }
            if (options.json !== true) io.out('');
            const outcome = await runPlan({ runtime, spec: result.spec, ...(options.json === true ? {} : { write: io.out }) });
            if (options.json === true) {
              io.out(JSON.stringify({ plan: JSON.parse(result.document) as unknown, run: outcome.run, billing: billingToJson(outcome.billing) }));
            }
            exitCode = outcome.run.state === 'completed' ? EXIT_CODES.ok : EXIT_CODES.runFailed;
          } finally {
            await runtime.close();
          }
        } catch (error) {
          fail(error, options.json);
        }
      },
    );

  program
    .command('models')
    .description('list the model catalog')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions) => {
      try {
        const runtime = await createSidecarRuntime(configFor(options, io, true), { env: io.env, ...io.overrides });
        try {
          const models = runtime.catalog.list();
          if (options.json === true) io.out(JSON.stringify({ items: models }));
          else {
            for (const model of models) {
              io.out(
                `${model.id.padEnd(28)} ${model.provider.padEnd(12)} ${model.role.padEnd(9)} ${String(model.maxInputTokens).padStart(8)} ctx  $${model.pricing.inputPerMTok}/M in  $${model.pricing.outputPerMTok}/M out`,
              );
            }
          }
        } finally {
          await runtime.close();
        }
      } catch (error) {
        fail(error, options.json);
      }
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    const code = (error as { exitCode?: unknown }).exitCode;
    if (typeof code === 'number') return code === 0 ? EXIT_CODES.ok : EXIT_CODES.badInput;
    throw error;
  }
  return exitCode;
}

