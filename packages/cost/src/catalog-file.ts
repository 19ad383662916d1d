/**
 * Reading and validating model catalog files (JSON or YAML).
 *
 * @remarks
 * A catalog file follows the contracts `modelCatalogFileSchema`. Validation errors name the field
 * and, inside `models`, the id of the model at fault — a typo in one price of a 40-model file
 * should not need a search. Not responsible for merging: see {@link createModelCatalog}.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { ValidationError } from '@runtime/contracts';
import type { ModelCatalogFile } from '@runtime/contracts';
import type { ValidationIssue } from '@runtime/contracts/schemas';
import { modelCatalogFileSchema, toValidationIssues } from '@runtime/contracts/schemas';
import { toTokenRates } from './internal/rates.js';

// Loaded on first use: most programs never read a YAML catalog, and the parser costs ≈60 ms to load.
const require = createRequire(import.meta.url);
function parseYaml(text: string): unknown {
  return (require('yaml') as { parse(source: string): unknown }).parse(text);
}

/**
 * Format of a catalog file's text.
 * @public
 */
export type CatalogFileFormat = 'json' | 'yaml';

function modelIdAt(input: unknown, index: number): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const models = (input as { models?: unknown }).models;
  if (!Array.isArray(models)) return undefined;
  const entry: unknown = models[index];
  if (typeof entry !== 'object' || entry === null) return undefined;
  const id = (entry as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

function fail(source: string, issues: readonly ValidationIssue[], input: unknown): never {
  const first = issues[0] ?? { path: '', message: 'does not match its schema' };
  const index = /^models\[(\d+)\]/.exec(first.path);
  const model = index?.[1] === undefined ? undefined : modelIdAt(input, Number(index[1]));
  const where = first.path === '' ? '' : ` at ${first.path}`;
  const which = model === undefined ? '' : ` (model ${JSON.stringify(model)})`;
  throw new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `Invalid model catalog ${source}${where}${which}: ${first.message}.`,
    details: { source, field: first.path, ...(model === undefined ? {} : { model }), issues: [...issues] },
  });
}

/**
 * Validates an already-parsed catalog object.
 * @param source - names the input in error messages (a file path, or `"object"`).
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` with `details.field`, `details.model` (when
 * the problem is inside one model) and `details.issues`.
 * @public
 */
export function validateModelCatalogFile(input: unknown, source = 'object'): ModelCatalogFile {
  const result = modelCatalogFileSchema.safeParse(input);
  if (!result.success) fail(source, toValidationIssues(result.error), input);
  const file = result.data;
  const seen = new Set<string>();
  const models = file.models ?? [];
  for (const [index, model] of models.entries()) {
    const path = `models[${index}]`;
    if (seen.has(model.id)) fail(source, [{ path: `${path}.id`, message: `duplicate model id ${JSON.stringify(model.id)}` }], input);
    seen.add(model.id);
    try {
      toTokenRates(model.pricing, `${path}.pricing`);
    } catch (error) {
      if (!ValidationError.isInstance(error)) throw error;
      const field = typeof error.details['field'] === 'string' ? error.details['field'] : `${path}.pricing`;
      fail(source, [{ path: field, message: 'a price per million tokens may have at most 9 decimals' }], input);
    }
  }
  return file;
}

/**
 * Parses and validates the text of a catalog file.
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for unparsable text or an invalid catalog.
 * @public
 */
export function parseModelCatalogFile(text: string, format: CatalogFileFormat, source = `${format} text`): ModelCatalogFile {
  let input: unknown;
  try {
    input = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `Model catalog ${source} is not valid ${format.toUpperCase()}: ${error instanceof Error ? error.message : String(error)}`,
      details: { source, field: '', issues: [{ path: '', message: `not valid ${format}` }] },
      cause: error,
    });
  }
  return validateModelCatalogFile(input, source);
}

/**
 * Reads, parses (by extension: `.json`, `.yaml`, `.yml`) and validates a catalog file.
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for an unreadable, unparsable or invalid file.
 * @public
 */
export function loadModelCatalogFile(path: string): ModelCatalogFile {
  const extension = extname(path).toLowerCase();
  if (extension !== '.json' && extension !== '.yaml' && extension !== '.yml') {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `Model catalog file ${path} must end in .json, .yaml or .yml.`,
      details: { source: path, field: '', issues: [{ path: '', message: 'unsupported file extension' }] },
    });
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `Cannot read model catalog file ${path}.`,
      details: { source: path, field: '', issues: [{ path: '', message: 'file not readable' }] },
      cause: error,
    });
  }
  return parseModelCatalogFile(text, extension === '.json' ? 'json' : 'yaml', path);
}
