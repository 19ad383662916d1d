/**
 * Reads a plan file (a `RunSpec` as YAML or JSON) for `runtime run` and `runtime estimate`.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { ValidationError, type RunSpec } from '@runtime/contracts';
import { parseOrThrow, runSpecSchema } from '@runtime/contracts/schemas';
import { parse as parseYaml } from 'yaml';

/**
 * Loads and validates a plan.
 * @throws {@link ValidationError} `VALIDATION_FAILED` for an unreadable file, bad syntax or a spec
 * that does not match the run-request schema (the message names the field).
 * @public
 */
export function loadPlan(path: string): RunSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ValidationError({ code: 'VALIDATION_FAILED', message: `Cannot read plan ${path}.`, details: { file: path }, cause: error });
  }
  let value: unknown;
  try {
    value = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `Plan ${path} is not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
      details: { file: path },
      cause: error,
    });
  }
  return parseOrThrow(runSpecSchema, value, `plan ${path}`);
}
