/**
 * The consistency gate: checks structured domain contracts against each other and themselves.
 */
import type { DomainContract } from './schemas.js';
import { isPrimitiveType, normaliseName, normaliseType, stripDecoration } from './normalise.js';

/**
 * Kinds of contradiction the gate finds.
 * @public
 */
export type FindingKind = 'type-conflict' | 'undefined-reference' | 'naming-collision' | 'cycle';

/**
 * One contradiction; `places` names both sides (`domain/Entity.field`, `domain/op:name`, …), and a
 * cycle finding carries the cycle path (first domain repeated last).
 * @public
 */
export interface Finding {
  /** What is wrong. */
  readonly kind: FindingKind;
  /** One human sentence. */
  readonly message: string;
  /** The two places in conflict (the referring and the missing place for an undefined reference). */
  readonly places: readonly [string, string];
  /** The domains of a cycle, in order, first repeated last. */
  readonly cycle?: readonly string[];
}

interface Declared {
  readonly place: string;
  readonly raw: string;
  readonly type: string;
}

function fieldsOf(contract: DomainContract): { owner: string; kind: 'entity' | 'event'; fields: DomainContract['entities'][number]['fields'] }[] {
  return [
    ...contract.entities.map((entity) => ({ owner: entity.name, kind: 'entity' as const, fields: entity.fields })),
    ...contract.events.map((event) => ({ owner: event.name, kind: 'event' as const, fields: event.fields })),
  ];
}

/**
 * Checks a set of domain contracts.
 *
 * @remarks
 * - **type-conflict**: a field declared with two different normalised types — twice in one entity
 *   or event, or in two declarations of the same (normalised) entity, in one domain or across domains.
 * - **undefined-reference**: a field, input or output type that is neither a primitive nor an entity
 *   declared in any domain; an operation error is not checked (errors are names); a `requires`
 *   entry naming an unknown domain, or an entity/operation the named domain does not declare.
 * - **naming-collision**: two different spellings that normalise to one name (entities across all
 *   domains, operations and events within a domain, fields within one entity, event or operation).
 * - **cycle**: domains whose `requires` form a cycle; the finding carries the path.
 *
 * Deterministic: findings come in a stable order (by kind of check, then declaration order).
 * @public
 */
export function checkContracts(contracts: readonly DomainContract[]): Finding[] {
  const findings: Finding[] = [];
  const domains = new Map(contracts.map((contract) => [contract.domain, contract]));

  // Naming collisions and type conflicts of fields within one declaration.
  const entitySpellings = new Map<string, { raw: string; place: string }>();
  for (const contract of contracts) {
    const opSpellings = new Map<string, { raw: string; place: string }>();
    const evSpellings = new Map<string, { raw: string; place: string }>();
    for (const entity of contract.entities) collide(entitySpellings, entity.name, `${contract.domain}/${entity.name}`, 'entity', findings);
    for (const op of contract.operations) collide(opSpellings, op.name, `${contract.domain}/op:${op.name}`, 'operation', findings);
    for (const event of contract.events) collide(evSpellings, event.name, `${contract.domain}/event:${event.name}`, 'event', findings);
    const groups = [
      ...fieldsOf(contract).map((group) => ({ prefix: `${contract.domain}/${group.kind === 'event' ? 'event:' : ''}${group.owner}`, fields: group.fields })),
      ...contract.operations.map((op) => ({ prefix: `${contract.domain}/op:${op.name}`, fields: op.inputs })),
    ];
    for (const group of groups) {
      const seen = new Map<string, Declared>();
      group.fields.forEach((field, index) => {
        const key = normaliseName(field.name);
        const here: Declared = { place: `${group.prefix}.${field.name}@${index + 1}`, raw: stripDecoration(field.name), type: normaliseType(field.type) };
        const before = seen.get(key);
        if (before === undefined) {
          seen.set(key, here);
        } else if (before.raw !== here.raw) {
          findings.push({ kind: 'naming-collision', message: `Field spellings ${before.raw} and ${here.raw} normalise to the same name ${key}.`, places: [before.place, here.place] });
        } else if (before.type !== here.type) {
          findings.push({ kind: 'type-conflict', message: `Field ${here.raw} is declared twice with types ${before.type} and ${here.type}.`, places: [before.place, here.place] });
        }
      });
    }
  }

  // Type conflicts between declarations of the same entity (in one domain or across domains).
  const entityFields = new Map<string, Map<string, Declared>>();
  for (const contract of contracts) {
    const occurrences = new Map<string, number>();
    for (const entity of contract.entities) {
      const entityKey = normaliseName(entity.name);
      const occurrence = (occurrences.get(entityKey) ?? 0) + 1;
      occurrences.set(entityKey, occurrence);
      const owner = `${contract.domain}/${entity.name}${occurrence > 1 ? `#${occurrence}` : ''}`;
      const known = entityFields.get(entityKey) ?? new Map<string, Declared>();
      const local = new Map<string, Declared>();
      for (const field of entity.fields) {
        const key = normaliseName(field.name);
        if (local.has(key)) continue; // duplicates within one declaration are reported above
        const here: Declared = { place: `${owner}.${field.name}`, raw: field.name, type: normaliseType(field.type) };
        local.set(key, here);
        const before = known.get(key);
        if (before !== undefined && before.type !== here.type) {
          findings.push({ kind: 'type-conflict', message: `Field ${entity.name}.${field.name} is ${before.type} in one declaration and ${here.type} in another.`, places: [before.place, here.place] });
        }
      }
      for (const [key, declared] of local) if (!known.has(key)) known.set(key, declared);
      entityFields.set(entityKey, known);
    }
  }

  // Undefined references.
  const entityPlace = new Map<string, string>();
  for (const contract of contracts) for (const entity of contract.entities) if (!entityPlace.has(normaliseName(entity.name))) entityPlace.set(normaliseName(entity.name), `${contract.domain}/${entity.name}`);
  const checkType = (raw: string, place: string): void => {
    const type = normaliseType(raw);
    if (isPrimitiveType(type)) return;
    const base = type.endsWith('[]') ? type.slice(0, -2) : type;
    if (!entityPlace.has(base)) findings.push({ kind: 'undefined-reference', message: `${place} uses type ${raw}, which no domain declares.`, places: [place, `<undeclared>/${raw}`] });
  };
  for (const contract of contracts) {
    for (const group of fieldsOf(contract)) for (const field of group.fields) checkType(field.type, `${contract.domain}/${group.kind === 'event' ? 'event:' : ''}${group.owner}.${field.name}`);
    for (const op of contract.operations) {
      for (const input of op.inputs) checkType(input.type, `${contract.domain}/op:${op.name}.${input.name}`);
      checkType(op.output, `${contract.domain}/op:${op.name}->output`);
    }
    for (const required of contract.requires) {
      const place = `${contract.domain}/requires:${required.domain}.${required.name}`;
      const target = domains.get(required.domain);
      if (target === undefined) {
        findings.push({ kind: 'undefined-reference', message: `${contract.domain} requires ${required.name} from unknown domain ${required.domain}.`, places: [place, `${required.domain}/<unknown domain>`] });
        continue;
      }
      const key = normaliseName(required.name);
      const declared = target.entities.some((entity) => normaliseName(entity.name) === key) || target.operations.some((op) => normaliseName(op.name) === key);
      if (!declared) findings.push({ kind: 'undefined-reference', message: `${contract.domain} requires ${required.name}, which ${required.domain} does not declare.`, places: [place, `${required.domain}/${required.name}`] });
    }
  }

  // Cycles between domains' required interfaces.
  for (const cycle of findCycles(contracts)) {
    const [first = '', second = ''] = cycle;
    findings.push({ kind: 'cycle', message: `Domains require each other in a cycle: ${cycle.join(' → ')}.`, places: [`${first}/requires:${second}`, `${cycle.at(-2) ?? ''}/requires:${first}`], cycle });
  }
  return findings;
}

function collide(seen: Map<string, { raw: string; place: string }>, raw: string, place: string, what: string, findings: Finding[]): void {
  const key = normaliseName(raw);
  const before = seen.get(key);
  const spelling = stripDecoration(raw);
  if (before === undefined) seen.set(key, { raw: spelling, place });
  else if (before.raw !== spelling) findings.push({ kind: 'naming-collision', message: `The ${what} spellings ${before.raw} and ${raw} normalise to the same name ${key}.`, places: [before.place, place] });
}

/** Each elementary cycle of the `requires` graph once, rotated to start at its smallest domain. */
function findCycles(contracts: readonly DomainContract[]): string[][] {
  const edges = new Map<string, string[]>();
  for (const contract of contracts) {
    const targets = [...new Set(contract.requires.map((required) => required.domain))].filter((domain) => domain !== contract.domain && contracts.some((c) => c.domain === domain)).sort();
    edges.set(contract.domain, targets);
  }
  const found = new Map<string, string[]>();
  const names = [...edges.keys()].sort();
  // Johnson-style enumeration restricted to cycles whose smallest node is the start (graphs are tiny).
  for (const start of names) {
    const stack: string[] = [start];
    const visit = (node: string): void => {
      for (const next of edges.get(node) ?? []) {
        if (next === start) {
          const cycle = [...stack, start];
          found.set(cycle.join('>'), cycle);
        } else if (next > start && !stack.includes(next)) {
          stack.push(next);
          visit(next);
          stack.pop();
        }
      }
    };
    visit(start);
  }
  return [...found.values()];
}
