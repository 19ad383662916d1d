/**
 * The contract-first pipeline: PRD → requirements → domains → contracts (parallel) → gate → DAG.
 */
import pLimit from 'p-limit';
import type { z } from 'zod';
import { gateFailed, invalidInput } from './errors.js';
import { checkContracts, type Finding } from './gate.js';
import type { Plan } from './plan.js';
import { renderContract } from './render.js';
import { domainContractSchema, domainsAnswerSchema, requirementsAnswerSchema, type Domain, type DomainContract, type Requirement } from './schemas.js';
import { askStructured, type PlannerModel } from './structured.js';
import { contractFirstTasks, featureTasks } from './tiers.js';

/**
 * Name of the catch-all domain that receives requirements no discovered domain took.
 * @public
 */
export const CATCH_ALL_DOMAIN = 'shared';

/**
 * The target domain count for a number of features: ≤ 5 → 2–3, ≤ 15 → 3–5, ≤ 30 → 4–7, else 6–10
 * (the catch-all domain is not counted).
 * @public
 */
export function domainCountRange(features: number): readonly [number, number] {
  if (features <= 5) return [2, 3];
  if (features <= 15) return [3, 5];
  if (features <= 30) return [4, 7];
  return [6, 10];
}

/**
 * Options of {@link planFromPrd}.
 * @public
 */
export interface PlanOptions extends PlannerModel {
  /** Most contract calls at once. @defaultValue 4 */
  readonly concurrency?: number;
  /**
   * When the gate still finds contradictions after the repair round: `fallback` plans by feature
   * (the plan says so), `fail` throws. @defaultValue `'fallback'`
   */
  readonly onGateFailure?: 'fallback' | 'fail';
}

function list(items: readonly string[]): string {
  return items.map((item) => `- ${item}`).join('\n');
}

const CONTRACT_SHAPE =
  '{"domain": string, "entities": [{"name", "fields": [{"name", "type", "optional"?}]}], "operations": [{"name", "inputs": [{"name", "type"}], "output": type, "errors": [string]}], "events": [{"name", "fields": [...]}], "requires": [{"domain", "name"}]}. Types: string, integer, number, boolean, datetime, json, void, an entity name, or T[].';

function contractPrompt(domain: Domain, requirements: readonly Requirement[], others: readonly Domain[]): string {
  return [
    `Write the contract of domain "${domain.name}" (${domain.description}).`,
    'Its requirements:',
    list(requirements.filter((requirement) => domain.requirementIds.includes(requirement.id)).map((r) => `${r.id}: ${r.title} — ${r.description}`)),
    'Other domains (reference their entities and operations through "requires"):',
    list(others.map((other) => `${other.name}: ${other.description}`)),
    `Answer with JSON ${CONTRACT_SHAPE}`,
  ].join('\n');
}

function repairPrompt(contract: DomainContract, findings: readonly Finding[], all: readonly DomainContract[]): string {
  return [
    `Repair the contract of domain "${contract.domain}". The consistency gate found:`,
    list(findings.map((finding) => `${finding.kind}: ${finding.message} (${finding.places.join(' ↔ ')})`)),
    'Current contracts of every domain:',
    JSON.stringify(all),
    `Answer with the corrected contract of "${contract.domain}" only, as JSON ${CONTRACT_SHAPE}`,
  ].join('\n');
}

function domainsOf(finding: Finding): string[] {
  return [...finding.places, ...(finding.cycle ?? [])].map((place) => place.split('/')[0] ?? '');
}

/**
 * Plans a PRD.
 *
 * @remarks
 * 1. Requirements: the model extracts them (zod-validated JSON).
 * 2. Domains: the model groups them into {@link domainCountRange} domains; requirements no domain
 *    took go to {@link CATCH_ALL_DOMAIN}. A requirement in two domains, an unknown id or a count out
 *    of range is an invalid answer.
 * 3. Contracts: one call per domain, in parallel under `concurrency`; each rendered to TypeScript.
 * 4. Gate ({@link checkContracts}); on findings one repair round for the domains involved (findings
 *    fed back), then the gate again; still inconsistent → `fallback` (feature-based plan, reported
 *    in `path`, `fallbackReason`, `gate`) or `fail`.
 * 5. The DAG: a done design task per domain carrying its contract, implementation tasks depending on
 *    the contracts they use, a test task per domain, an integration task; a tier per task.
 *
 * Every model answer gets one retry with its validation errors, then a typed error.
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` (`details.reason`:
 * `PLANNER_INVALID_INPUT`, `PLANNER_INVALID_ANSWER`, `PLANNER_GATE_FAILED`); the client's errors.
 * @public
 */
export async function planFromPrd(prd: string, options: PlanOptions): Promise<Plan> {
  if (prd.trim() === '') throw invalidInput('The PRD is empty.', {});
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw invalidInput('concurrency must be an integer in 1..64.', { concurrency });

  const { requirements } = await askStructured(
    options,
    'requirements',
    `Extract the product requirements of this PRD, one per feature, with a priority (must/should/could).\nAnswer with JSON {"requirements": [{"id", "title", "description", "priority"}]}.\n\n${prd}`,
    requirementsAnswerSchema.superRefine((answer, ctx) => {
      const seen = new Set<string>();
      answer.requirements.forEach((requirement, index) => {
        if (seen.has(requirement.id)) ctx.addIssue({ code: 'custom', path: ['requirements', index, 'id'], message: `duplicate id ${requirement.id}` });
        seen.add(requirement.id);
      });
    }),
  );

  const range = domainCountRange(requirements.length);
  const ids = new Set(requirements.map((requirement) => requirement.id));
  const answer = await askStructured(
    options,
    'domains',
    `Group these requirements into between ${range[0]} and ${range[1]} domains (bounded contexts), each requirement in at most one domain.\nAnswer with JSON {"domains": [{"name", "description", "requirementIds"}]}.\n${list(requirements.map((r) => `${r.id}: ${r.title} — ${r.description}`))}`,
    domainsAnswerSchema.superRefine((value, ctx) => {
      const real = value.domains.filter((domain) => domain.name !== CATCH_ALL_DOMAIN);
      if (real.length < range[0] || real.length > range[1]) ctx.addIssue({ code: 'custom', path: ['domains'], message: `expected ${range[0]}..${range[1]} domains, got ${real.length}` });
      const owner = new Map<string, string>();
      value.domains.forEach((domain, index) => {
        if (value.domains.findIndex((other) => other.name === domain.name) !== index) ctx.addIssue({ code: 'custom', path: ['domains', index, 'name'], message: `duplicate domain ${domain.name}` });
        domain.requirementIds.forEach((id, position) => {
          if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['domains', index, 'requirementIds', position], message: `unknown requirement ${id}` });
          const before = owner.get(id);
          if (before !== undefined) ctx.addIssue({ code: 'custom', path: ['domains', index, 'requirementIds', position], message: `requirement ${id} is already in domain ${before}` });
          owner.set(id, domain.name);
        });
      });
    }),
  );
  const assigned = new Set(answer.domains.flatMap((domain) => domain.requirementIds));
  const unassigned = requirements.filter((requirement) => !assigned.has(requirement.id)).map((requirement) => requirement.id);
  const domains: Domain[] = answer.domains.filter((domain) => domain.name !== CATCH_ALL_DOMAIN || domain.requirementIds.length > 0);
  if (unassigned.length > 0) {
    const existing = domains.findIndex((domain) => domain.name === CATCH_ALL_DOMAIN);
    const catchAll: Domain = {
      name: CATCH_ALL_DOMAIN,
      description: 'Catch-all: requirements no other domain took.',
      requirementIds: [...(existing >= 0 ? (domains[existing]?.requirementIds ?? []) : []), ...unassigned],
    };
    if (existing >= 0) domains[existing] = catchAll;
    else domains.push(catchAll);
  }

  const limit = pLimit(concurrency);
  const contractFor = (domain: Domain): z.ZodType<DomainContract> =>
    domainContractSchema.refine((contract) => contract.domain === domain.name, { message: `domain must be "${domain.name}"`, path: ['domain'] });
  let contracts = await Promise.all(
    domains.map((domain) =>
      limit(() => askStructured(options, `contract:${domain.name}`, contractPrompt(domain, requirements, domains.filter((other) => other !== domain)), contractFor(domain))),
    ),
  );

  const initial = checkContracts(contracts);
  let afterRepair: Finding[] = [];
  if (initial.length > 0) {
    const involved = new Set(initial.flatMap(domainsOf));
    const current = contracts;
    contracts = await Promise.all(
      current.map(async (contract) => {
        if (!involved.has(contract.domain)) return contract;
        const own = initial.filter((finding) => domainsOf(finding).includes(contract.domain));
        const domain = domains.find((candidate) => candidate.name === contract.domain) ?? domains[0];
        if (domain === undefined) return contract;
        return limit(() => askStructured(options, `repair:${contract.domain}`, repairPrompt(contract, own, current), contractFor(domain)));
      }),
    );
    afterRepair = checkContracts(contracts);
  }
  const gate = { initial, repaired: initial.length > 0, afterRepair };

  if (afterRepair.length > 0) {
    if (options.onGateFailure === 'fail') throw gateFailed(afterRepair);
    return {
      path: 'feature-based',
      fallbackReason: `The consistency gate found ${afterRepair.length} contradiction(s) after one repair round: ${afterRepair.map((finding) => finding.message).join(' ')}`,
      requirements,
      domains,
      domainRange: range,
      contracts: [],
      renderedContracts: {},
      gate,
      tasks: featureTasks(requirements),
    };
  }
  const renderedContracts = Object.fromEntries(contracts.map((contract) => [contract.domain, renderContract(contract)]));
  return {
    path: 'contract-first',
    requirements,
    domains,
    domainRange: range,
    contracts,
    renderedContracts,
    gate,
    tasks: contractFirstTasks(requirements, domains, contracts, renderedContracts),
  };
}
