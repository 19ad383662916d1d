/**
 * Parsing with typed errors.
 */
import type { z } from 'zod';
import { ValidationError } from '../errors.js';

/**
 * One problem found by validation.
 * @public
 */
export interface ValidationIssue {
  /** Where, as a JSON path such as `tasks[2].deps[0]` (empty for the root). */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text;
}

/**
 * Turns zod issues into {@link ValidationIssue}s; unknown keys are reported one per field.
 * @public
 */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({ path: formatPath([...issue.path, key]), message: 'unknown field' });
      }
      continue;
    }
    issues.push({ path: formatPath(issue.path), message: issue.message });
  }
  return issues;
}

/**
 * Parses `input` with `schema` or throws a {@link ValidationError} `VALIDATION_FAILED` whose
 * message names the first problem and whose `details.issues` lists all of them.
 * @param what - names the input in the message, e.g. `"run request"`.
 * @public
 */
export function parseOrThrow<Schema extends z.ZodType>(schema: Schema, input: unknown, what = 'input'): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = toValidationIssues(result.error);
  const first = issues[0];
  const where = first === undefined || first.path === '' ? '' : ` at ${first.path}`;
  throw new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `Invalid ${what}${where}: ${first?.message ?? 'does not match its schema'}.`,
    details: { issues },
  });
}
