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
  return parseOrThrow(runSpecSchema, readDataFile(path, 'plan'), `plan ${path}`);
}

/**
 * Reads a text file for the CLI.
 * @throws {@link ValidationError} `VALIDATION_FAILED` (`details.file`) naming `what` when it cannot be read.
 */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ValidationError({ code: 'VALIDATION_FAILED', message: `Cannot read ${what} ${path}.`, details: { file: path }, cause: error });
  }
}

/**
 * Reads a JSON (`.json`) or YAML (anything else) file for the CLI.
 * @throws {@link ValidationError} `VALIDATION_FAILED` (`details.file`) naming `what` for an unreadable
 * file or bad syntax.
 */
export function readDataFile(path: string, what: string): unknown {
  const text = readTextFile(path, what);
  const json = extname(path).toLowerCase() === '.json';
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `${what.charAt(0).toUpperCase()}${what.slice(1)} ${path} is not valid ${json ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
      details: { file: path },
      cause: error,
    });
  }
}
