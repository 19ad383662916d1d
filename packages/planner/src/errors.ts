/**
 * Typed errors of the planner: stable codes from `@runtime/contracts`, a `details.reason` naming the
 * planner step that failed.
 */
import { BudgetError, ValidationError } from '@runtime/contracts';
import type { Finding } from './gate.js';

/**
 * `details.reason` of the planner's errors.
 * @public
 */
export type PlannerFailureReason = 'PLANNER_INVALID_ANSWER' | 'PLANNER_GATE_FAILED' | 'PLANNER_BUDGET_UNREACHABLE' | 'PLANNER_INVALID_INPUT';

/** The model's answer stayed invalid after the one retry. */
export function invalidAnswer(stage: string, issues: readonly { path: string; message: string }[], answer: string): ValidationError {
  return new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `The model's ${stage} answer was invalid twice (after one retry with the validation errors).`,
    details: { reason: 'PLANNER_INVALID_ANSWER', stage, issues, answer: answer.slice(0, 2_000) },
  });
}

/** The consistency gate still found contradictions after the repair round. */
export function gateFailed(findings: readonly Finding[]): ValidationError {
  return new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `The domain contracts are inconsistent after one repair round (${findings.length} finding(s)).`,
    details: { reason: 'PLANNER_GATE_FAILED', findings },
  });
}

/** Bad caller input (empty PRD, bad budget, bad options). */
export function invalidInput(message: string, details: Record<string, unknown>): ValidationError {
  return new ValidationError({ code: 'VALIDATION_FAILED', message, details: { reason: 'PLANNER_INVALID_INPUT', ...details } });
}

/** Even the cheapest plan (every task tier 1, context compacted to its floor) exceeds the budget. */
export function budgetUnreachable(budgetUsd: number, minimumUsd: string): BudgetError {
  return new BudgetError({
    code: 'BUDGET_EXCEEDED',
    message: `The plan cannot fit $${budgetUsd}: even with every task on tier 1 and context compacted its worst case is $${minimumUsd}.`,
    details: { reason: 'PLANNER_BUDGET_UNREACHABLE', budgetUsd, minimumWorstCaseUsd: minimumUsd },
  });
}
