/**
 * `runtime plan`: reads a PRD, plans it with `@runtime/planner`, prints the summary and writes the
 * plan document.
 */
import { randomUUID } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EMPTY_USAGE, ValidationError, type LlmClient } from '@runtime/contracts';
import type { PlanChange, PlanCommandResult } from '@runtime/planner';
import { readDataFile, readTextFile } from './load-plan.js';

/**
 * Reads the PRD's markdown.
 * @throws {@link ValidationError} `VALIDATION_FAILED` for an unreadable or empty file.
 * @public
 */
export function readPrd(path: string): string {
  const text = readTextFile(path, 'PRD');
  if (text.trim() === '') throw new ValidationError({ code: 'VALIDATION_FAILED', message: `PRD ${path} is empty.`, details: { file: path } });
  return text;
}

const STAGE_TAG = /^\[planner:([^\]]+)\]/;

/**
 * A planning model answering from a script file: a JSON or YAML object whose keys are planner
 * stages (`requirements`, `domains`, `contract:<domain>`, `repair:<domain>`) and whose values are
 * the JSON answers. A retry (`<stage>:retry`) gets the stage's answer again.
 * @throws {@link ValidationError} `VALIDATION_FAILED` for an unreadable file, bad syntax or a
 * script that is not an object; at call time for a stage the script does not answer.
 * @public
 */
export function loadPlannerScript(path: string): LlmClient {
  const value = readDataFile(path, 'planner script');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError({ code: 'VALIDATION_FAILED', message: `Planner script ${path} must be an object of answers by planner stage.`, details: { file: path } });
  }
  const answers = new Map(Object.entries(value));
  return {
    provider: 'script',
    complete(request) {
      const last = request.messages.at(-1)?.content;
      const tag = STAGE_TAG.exec(typeof last === 'string' ? last : '')?.[1] ?? '';
      const stage = tag.endsWith(':retry') ? tag.slice(0, -':retry'.length) : tag;
      if (!answers.has(stage)) {
        return Promise.reject(
          new ValidationError({
            code: 'VALIDATION_FAILED',
            message: `Planner script ${path} has no answer for stage "${stage}".`,
            details: { file: path, stage, stages: [...answers.keys()] },
          }),
        );
      }
      return Promise.resolve({ output: JSON.stringify(answers.get(stage)), usage: EMPTY_USAGE, finishReason: 'stop' });
    },
  };
}

/**
 * Writes `text` to `path` through a temporary file in the same directory and a rename, so the
 * file is either the old one or the whole new one.
 * @throws {@link ValidationError} `VALIDATION_FAILED` when the file cannot be written.
 * @public
 */
export function writeFileAtomically(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    writeFileSync(temporary, text, { flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new ValidationError({ code: 'VALIDATION_FAILED', message: `Cannot write ${path}: ${(error as Error).message}`, details: { file: path }, cause: error });
  }
}

function describeChange(change: PlanChange): string {
  switch (change.kind) {
    case 'tier':
      return `${change.task}: tier ${change.from} → ${change.to} (${change.reason})`;
    case 'maxOutputTokens':
      return `${change.task}: output cap ${change.from} → ${change.to} tokens`;
    case 'dependencyMaxTokens':
      return `${change.task}: routed dependency output ${change.from === null ? 'uncapped' : String(change.from)} → ${change.to} tokens`;
  }
}

/**
 * The human summary of a plan: path and gate, domains, tasks by tier, costs, every budget change.
 * @public
 */
export function renderPlanSummary(result: Pick<PlanCommandResult, 'plan' | 'estimate' | 'fit'>): string[] {
  const { plan, estimate, fit } = result;
  const lines: string[] = [];
  lines.push(`path: ${plan.path}${plan.fallbackReason === undefined ? '' : ` (fallback: ${plan.fallbackReason})`}`);
  const gate = plan.gate;
  const gateResult =
    gate.initial.length === 0 ? 'passed' : gate.afterRepair.length === 0 ? `passed after repair (${gate.initial.length} finding(s) fixed)` : `failed (${gate.afterRepair.length} finding(s) after repair)`;
  lines.push(`gate: ${gateResult}`);
  for (const finding of gate.afterRepair.length > 0 ? gate.afterRepair : gate.initial) lines.push(`  - ${finding.message}`);
  lines.push(`domains (${plan.domains.length}):`);
  for (const domain of plan.domains) lines.push(`  ${domain.name.padEnd(20)} ${domain.requirementIds.join(', ')}`);
  lines.push(`tasks (${plan.tasks.length}, ${plan.tasks.filter((task) => task.state === 'pending').length} to run):`);
  for (const tier of [1, 2, 3] as const) {
    const ids = plan.tasks.filter((task) => task.state === 'pending' && task.tier === tier).map((task) => task.id);
    lines.push(`  tier ${tier}: ${String(ids.length).padStart(3)}  ≤ $${estimate.byTier[tier].worstCaseUsd}  ${ids.join(', ')}`.trimEnd());
  }
  lines.push(`cost: worst case $${estimate.total.worstCaseUsd}, expected $${estimate.total.expectedUsd}`);
  if (fit !== undefined) {
    lines.push(
      fit.changes.length === 0
        ? `budget $${fit.budgetUsd}: fits as planned (worst case $${fit.before.total.worstCaseUsd})`
        : `budget $${fit.budgetUsd}: degraded from worst case $${fit.before.total.worstCaseUsd} to $${fit.estimate.total.worstCaseUsd} with ${fit.changes.length} change(s):`,
    );
    for (const change of fit.changes) lines.push(`  - ${describeChange(change)}`);
  }
  return lines;
}
