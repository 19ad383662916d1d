/**
 * Tier criteria and the DAG builders (contract-first and feature-based).
 */
import type { TaskTier } from '@runtime/contracts';
import type { PlannedTask } from './plan.js';
import type { Domain, DomainContract, Requirement } from './schemas.js';

/**
 * Output caps per tier (tokens), for tasks the planner creates.
 */
export const TIER_MAX_OUTPUT_TOKENS: Readonly<Record<TaskTier, number>> = { 1: 1_024, 2: 2_048, 3: 4_096 };

/**
 * The tier of an implementation task.
 *
 * @remarks
 * Criteria (documented in the README): start at 1; +1 when the requirement is a `must`; +1 when the
 * domain uses another domain's contract (cross-domain work) or its contract has more than 4
 * operations (a wide interface). Test tasks: 1, or 2 when the domain has more than 4 operations or
 * emits events. The integration task: 3. Feature-based tasks: 2 for `must`, else 1.
 */
export function implementationTier(requirement: Requirement, contract: DomainContract): { tier: TaskTier; reason: string } {
  const reasons: string[] = [];
  let tier = 1;
  if (requirement.priority === 'must') {
    tier += 1;
    reasons.push('must-have requirement');
  }
  const crossDomain = contract.requires.some((required) => required.domain !== contract.domain);
  if (crossDomain || contract.operations.length > 4) {
    tier += 1;
    reasons.push(crossDomain ? 'uses other domains’ contracts' : 'wide interface (> 4 operations)');
  }
  return { tier: Math.min(3, tier) as TaskTier, reason: reasons.length === 0 ? 'local, optional work' : reasons.join('; ') };
}

function taskId(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 128);
}

function requirementText(requirement: Requirement): string {
  return `${requirement.id} (${requirement.priority}) ${requirement.title}: ${requirement.description}`;
}

/** The contract-first DAG: design (done) → implement per requirement → test per domain → integrate. */
export function contractFirstTasks(
  requirements: readonly Requirement[],
  domains: readonly Domain[],
  contracts: readonly DomainContract[],
  rendered: Readonly<Record<string, string>>,
): PlannedTask[] {
  const byId = new Map(requirements.map((requirement) => [requirement.id, requirement]));
  const tasks: PlannedTask[] = [];
  for (const contract of contracts) {
    tasks.push({
      id: taskId(`design.${contract.domain}`),
      kind: 'design',
      title: `Contract of ${contract.domain}`,
      domain: contract.domain,
      state: 'done',
      tier: 1,
      tierReason: 'done: the contract was fixed during planning',
      deps: [],
      requirementIds: domains.find((domain) => domain.name === contract.domain)?.requirementIds ?? [],
      prompt: `Design the contract of domain ${contract.domain}.`,
      maxOutputTokens: TIER_MAX_OUTPUT_TOKENS[1],
      output: rendered[contract.domain] ?? '',
    });
  }
  const tests: string[] = [];
  for (const domain of domains) {
    const contract = contracts.find((candidate) => candidate.domain === domain.name);
    if (contract === undefined) continue;
    const used = [...new Set([domain.name, ...contract.requires.map((required) => required.domain)])].filter((name) => contracts.some((c) => c.domain === name));
    const designDeps = used.map((name) => taskId(`design.${name}`));
    const impls: string[] = [];
    for (const requirementId of domain.requirementIds) {
      const requirement = byId.get(requirementId);
      if (requirement === undefined) continue;
      const { tier, reason } = implementationTier(requirement, contract);
      const id = taskId(`impl.${domain.name}.${requirement.id}`);
      impls.push(id);
      tasks.push({
        id,
        kind: 'implement',
        title: `Implement ${requirement.title}`,
        domain: domain.name,
        state: 'pending',
        tier,
        tierReason: reason,
        deps: designDeps,
        requirementIds: [requirement.id],
        prompt: `Implement requirement ${requirementText(requirement)}\nin domain ${domain.name} (${domain.description}), against the contracts given. Do not change any contract.`,
        maxOutputTokens: TIER_MAX_OUTPUT_TOKENS[tier],
      });
    }
    const wide = contract.operations.length > 4 || contract.events.length > 0;
    const testTier: TaskTier = wide ? 2 : 1;
    const testId = taskId(`test.${domain.name}`);
    tests.push(testId);
    tasks.push({
      id: testId,
      kind: 'test',
      title: `Test ${domain.name}`,
      domain: domain.name,
      state: 'pending',
      tier: testTier,
      tierReason: wide ? 'wide interface or events' : 'narrow interface',
      deps: [...designDeps.slice(0, 1), ...impls],
      requirementIds: domain.requirementIds,
      prompt: `Write the tests of domain ${domain.name}: every operation of its contract, its errors and its events, against the implementations given.`,
      maxOutputTokens: TIER_MAX_OUTPUT_TOKENS[testTier],
    });
  }
  tasks.push({
    id: 'integrate',
    kind: 'integrate',
    title: 'Integrate the domains',
    state: 'pending',
    tier: 3,
    tierReason: 'cross-domain integration',
    deps: tests,
    requirementIds: requirements.map((requirement) => requirement.id),
    prompt: 'Integrate the domains into one application: wire the services, check every cross-domain requirement end to end, and list what remains.',
    maxOutputTokens: TIER_MAX_OUTPUT_TOKENS[3],
  });
  return tasks;
}

/** The feature-based DAG (fallback): one task per requirement, then one integration task. */
export function featureTasks(requirements: readonly Requirement[]): PlannedTask[] {
  const tasks: PlannedTask[] = requirements.map((requirement) => {
    const tier: TaskTier = requirement.priority === 'must' ? 2 : 1;
    return {
      id: taskId(`feature.${requirement.id}`),
      kind: 'feature',
      title: requirement.title,
      state: 'pending',
      tier,
      tierReason: requirement.priority === 'must' ? 'must-have feature' : 'optional feature',
      deps: [],
      requirementIds: [requirement.id],
      prompt: `Implement feature ${requirementText(requirement)}\nwith its tests.`,
      maxOutputTokens: TIER_MAX_OUTPUT_TOKENS[tier],
    };
  });
  tasks.push({
    id: 'integrate',
    kind: 'integrate',
    title: 'Integrate the features',
    state: 'pending',
    tier: 3,
    tierReason: 'cross-feature integration',
    deps: tasks.map((task) => task.id),
    requirementIds: requirements.map((requirement) => requirement.id),
    prompt: 'Integrate the features into one application and check them end to end.',
    maxOutputTokens: TIER_MAX_OUTPUT_TOKENS[3],
  });
  return tasks;
}
