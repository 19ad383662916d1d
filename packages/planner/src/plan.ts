/**
 * The plan the planner produces: requirements, domains, contracts, the gate's verdict and the task DAG.
 */
import type { TaskTier } from '@runtime/contracts';
import type { Finding } from './gate.js';
import type { Domain, DomainContract, Requirement } from './schemas.js';

/**
 * Kinds of planned task.
 * @public
 */
export type PlannedTaskKind = 'design' | 'implement' | 'test' | 'integrate' | 'feature';

/**
 * One task of the plan. Design tasks are `done` from the start and carry their domain's rendered
 * contract as `output`; the others are `pending` and become run tasks.
 * @public
 */
export interface PlannedTask {
  /** Task id, unique in the plan. */
  readonly id: string;
  /** What it is. */
  readonly kind: PlannedTaskKind;
  /** Short title. */
  readonly title: string;
  /** Its domain (absent for the integration task and feature-based tasks). */
  readonly domain?: string;
  /** `done` for design tasks (their contract is fixed), else `pending`. */
  readonly state: 'done' | 'pending';
  /** Complexity tier: 1 fast, 2 balanced, 3 flagship. */
  readonly tier: TaskTier;
  /** Why this tier (the criteria that applied). */
  readonly tierReason: string;
  /** Task ids it depends on (design tasks included: the contracts it uses). */
  readonly deps: readonly string[];
  /** The requirements it covers. */
  readonly requirementIds: readonly string[];
  /** The instruction given to the model. */
  readonly prompt: string;
  /** Completion token cap. */
  readonly maxOutputTokens: number;
  /** Cap in tokens on each routed dependency output; absent: the dependency's whole output. */
  readonly dependencyMaxTokens?: number;
  /** A design task's rendered TypeScript contract. */
  readonly output?: string;
}

/**
 * The path the planner took.
 * @public
 */
export type PlanningPath = 'contract-first' | 'feature-based';

/**
 * The gate's verdict and the repair round, as they happened.
 * @public
 */
export interface GateReport {
  /** Findings on the first contracts. */
  readonly initial: readonly Finding[];
  /** Whether a repair round was made. */
  readonly repaired: boolean;
  /** Findings after the repair round (empty when it succeeded or was not needed). */
  readonly afterRepair: readonly Finding[];
}

/**
 * A plan.
 * @public
 */
export interface Plan {
  /** Contract-first, or feature-based after the gate failed (see `fallbackReason`). */
  readonly path: PlanningPath;
  /** Why the planner fell back to feature-based planning. */
  readonly fallbackReason?: string;
  /** The requirements. */
  readonly requirements: readonly Requirement[];
  /** The domains (the catch-all included when it got requirements). */
  readonly domains: readonly Domain[];
  /** The target domain count range used for discovery. */
  readonly domainRange: readonly [number, number];
  /** The structured contracts (after repair). Empty on the feature-based path. */
  readonly contracts: readonly DomainContract[];
  /** The rendered TypeScript interface file per domain. */
  readonly renderedContracts: Readonly<Record<string, string>>;
  /** The gate's findings and repair. */
  readonly gate: GateReport;
  /** The task DAG (dependencies first). */
  readonly tasks: readonly PlannedTask[];
}
