/**
 * The dependency `select` path syntax of contracts' `TaskDependencyRef.select`: `$`, then any
 * number of `.field` and `[index]` steps (`$.summary`, `$.items[0].name`).
 */

/** One step of a path. */
export type PathStep = { readonly kind: 'field'; readonly name: string } | { readonly kind: 'index'; readonly index: number };

const STEP = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/y;

/** The steps of a path, or `undefined` when it is not in the syntax. */
export function parseJsonPath(path: string): PathStep[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: PathStep[] = [];
  STEP.lastIndex = 1;
  while (STEP.lastIndex < path.length) {
    const match = STEP.exec(path);
    if (match === null) return undefined;
    const [, name, index] = match;
    if (name !== undefined) steps.push({ kind: 'field', name });
    else steps.push({ kind: 'index', index: Number(index) });
  }
  return steps;
}

/** Renders steps back to path text (for error messages). */
export function formatJsonPath(steps: readonly PathStep[]): string {
  return `$${steps.map((step) => (step.kind === 'field' ? `.${step.name}` : `[${step.index}]`)).join('')}`;
}

/** Where a path stopped applying. */
export interface PathMiss {
  /** The prefix that did resolve. */
  readonly resolved: string;
  /** Why the next step does not apply. */
  readonly reason: string;
}

/** The value at a path, or where and why it did not apply. */
export function selectJsonPath(value: unknown, steps: readonly PathStep[]): { found: true; value: unknown } | { found: false; miss: PathMiss } {
  let current = value;
  for (let position = 0; position < steps.length; position += 1) {
    const step = steps[position] as PathStep;
    const resolved = formatJsonPath(steps.slice(0, position));
    if (step.kind === 'field') {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) {
        return { found: false, miss: { resolved, reason: `${resolved} is ${kindOf(current)}, not an object with field "${step.name}"` } };
      }
      if (!Object.prototype.hasOwnProperty.call(current, step.name)) {
        return { found: false, miss: { resolved, reason: `${resolved} has no field "${step.name}"` } };
      }
      current = (current as Record<string, unknown>)[step.name];
    } else {
      if (!Array.isArray(current)) {
        return { found: false, miss: { resolved, reason: `${resolved} is ${kindOf(current)}, not an array` } };
      }
      if (step.index >= current.length) {
        return { found: false, miss: { resolved, reason: `${resolved} has ${current.length} items, no index ${step.index}` } };
      }
      current = current[step.index] as unknown;
    }
  }
  return { found: true, value: current };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
