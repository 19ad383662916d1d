import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkContracts, type Finding } from './gate.js';
import { normaliseName, normaliseType } from './normalise.js';
import { domainContractSchema, type ContractField, type DomainContract } from './schemas.js';

interface Fixture {
  readonly name: string;
  readonly contracts: DomainContract[];
  readonly expected: { kind: Finding['kind']; places: [string, string]; cycle?: string[] }[];
}

const folder = fileURLToPath(new URL('../test/fixtures/contracts/', import.meta.url));
const corpus: Fixture[] = readdirSync(folder)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => JSON.parse(readFileSync(`${folder}${file}`, 'utf8')) as Fixture);

function matches(finding: Finding, expected: Fixture['expected'][number]): boolean {
  return (
    finding.kind === expected.kind &&
    [...finding.places].sort().join('|') === [...expected.places].sort().join('|') &&
    (expected.cycle === undefined || finding.cycle?.join('>') === expected.cycle.join('>'))
  );
}

describe('consistency gate on the fixture corpus', () => {
  it('has at least 20 sets, half consistent, the rest with one planted contradiction of every kind', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(20);
    const consistent = corpus.filter((fixture) => fixture.expected.length === 0);
    expect(consistent.length).toBeGreaterThanOrEqual(10);
    const planted = corpus.filter((fixture) => fixture.expected.length > 0);
    expect(planted.length).toBeGreaterThanOrEqual(10);
    for (const fixture of planted) expect(fixture.expected).toHaveLength(1);
    expect(new Set(planted.map((fixture) => fixture.expected[0]?.kind))).toEqual(new Set(['type-conflict', 'undefined-reference', 'naming-collision', 'cycle']));
    for (const fixture of corpus) for (const contract of fixture.contracts) expect(domainContractSchema.safeParse(contract).success).toBe(true);
  });

  it('finds every planted contradiction and nothing else: precision and recall 100 %', () => {
    let truePositives = 0;
    let falsePositives = 0;
    let falseNegatives = 0;
    const misses: string[] = [];
    for (const fixture of corpus) {
      const findings = checkContracts(fixture.contracts);
      for (const finding of findings) {
        if (fixture.expected.some((expected) => matches(finding, expected))) truePositives += 1;
        else {
          falsePositives += 1;
          misses.push(`${fixture.name}: unexpected ${finding.kind} ${finding.places.join(' ↔ ')}`);
        }
      }
      for (const expected of fixture.expected) {
        if (!findings.some((finding) => matches(finding, expected))) {
          falseNegatives += 1;
          misses.push(`${fixture.name}: missed ${expected.kind} ${expected.places.join(' ↔ ')}`);
        }
      }
    }
    const precision = truePositives / (truePositives + falsePositives);
    const recall = truePositives / (truePositives + falseNegatives);
    console.log(
      `gate on ${corpus.length} contract sets: precision ${(precision * 100).toFixed(1)} % (${truePositives}/${truePositives + falsePositives}), recall ${(recall * 100).toFixed(1)} % (${truePositives}/${truePositives + falseNegatives})`,
    );
    expect(misses).toEqual([]);
    expect(precision).toBe(1);
    expect(recall).toBe(1);
  });

  it('every finding names two distinct places', () => {
    for (const fixture of corpus) {
      for (const finding of checkContracts(fixture.contracts)) {
        expect(finding.places[0]).not.toBe(finding.places[1]);
        expect(finding.message.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('normalisation', () => {
  it('names: case, underscores, plurals, code-block decoration; short names kept', () => {
    expect(normaliseName('OrderItems')).toBe('order_item');
    expect(normaliseName('order_item')).toBe('order_item');
    expect(normaliseName('`order-item`')).toBe('order_item');
    expect(normaliseName('Categories')).toBe('category');
    expect(normaliseName('Addresses')).toBe('address');
    expect(normaliseName('status')).toBe('status');
    expect(normaliseName('x')).toBe('x');
    expect(normaliseName('id')).toBe('id');
    expect(normaliseName('userID')).toBe('user_id');
  });

  it('types: aliases equal, int vs string and integer vs number different, array forms equal', () => {
    expect(normaliseType('int')).toBe(normaliseType('Integer'));
    expect(normaliseType('int')).not.toBe(normaliseType('string'));
    expect(normaliseType('int')).not.toBe(normaliseType('number'));
    expect(normaliseType('Array<OrderItem>')).toBe(normaliseType('OrderItems[]'));
    expect(normaliseType('`string`')).toBe('string');
    expect(normaliseType('string | null')).toBe('string');
  });
});

describe('gate properties on the consistent fixtures', () => {
  const consistent = corpus.filter((fixture) => fixture.expected.length === 0);
  const decorate = (name: string, how: number): string => [name, `\`${name}\``, `'${name}'`, `${name}`][how % 4] ?? name;

  it('code-block decoration of every name and type never creates a finding', () => {
    fc.assert(
      fc.property(fc.constantFrom(...consistent), fc.nat(), (fixture, seed) => {
        let n = seed;
        const next = (): number => (n = (n * 1_103_515_245 + 12_345) % 2 ** 31);
        const field = (f: ContractField): ContractField => ({ ...f, name: decorate(f.name, next()), type: decorate(f.type, next()) });
        const contracts = fixture.contracts.map((contract) => ({
          ...contract,
          entities: contract.entities.map((entity) => ({ name: decorate(entity.name, next()), fields: entity.fields.map(field) })),
          events: contract.events.map((event) => ({ name: decorate(event.name, next()), fields: event.fields.map(field) })),
          operations: contract.operations.map((op) => ({ ...op, name: decorate(op.name, next()), inputs: op.inputs.map(field), output: decorate(op.output, next()) })),
        }));
        expect(checkContracts(contracts)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('re-declaring any entity field elsewhere with a conflicting primitive type is always found, naming both places', () => {
    const conflicting: Record<string, string> = { string: 'integer', integer: 'string', number: 'boolean', boolean: 'string', datetime: 'integer', json: 'string' };
    const cases = consistent.flatMap((fixture) =>
      fixture.contracts.flatMap((contract) =>
        contract.entities.flatMap((entity) =>
          entity.fields
            .filter((f) => conflicting[normaliseType(f.type)] !== undefined)
            .map((f) => ({ fixture, entity: entity.name, field: f.name, type: conflicting[normaliseType(f.type)] ?? 'string' })),
        ),
      ),
    );
    fc.assert(
      fc.property(fc.constantFrom(...cases), fc.nat(), ({ fixture, entity, field, type }, pick) => {
        const target = pick % fixture.contracts.length;
        const contracts = fixture.contracts.map((contract, index) =>
          index === target ? { ...contract, entities: [...contract.entities, { name: entity, fields: [{ name: field, type }] }] } : contract,
        );
        const findings = checkContracts(contracts);
        const domain = fixture.contracts[target]?.domain ?? '';
        const twice = contracts[target]?.entities.filter((e) => normaliseName(e.name) === normaliseName(entity)).length ?? 1;
        const added = `${domain}/${entity}${twice > 1 ? `#${twice}` : ''}.${field}`;
        const conflict = findings.find((finding) => finding.kind === 'type-conflict' && finding.places.includes(added));
        expect(conflict).toBeDefined();
        const other = conflict?.places.find((place) => place !== added) ?? '';
        expect(other.endsWith(`.${field}`)).toBe(true);
        expect(findings.every((finding) => finding.kind === 'type-conflict')).toBe(true);
      }),
      { numRuns: 80 },
    );
  });
});
