/** Argument checks for tools declared as data, with a JSON Schema instead of a zod schema. */
import { Ajv } from 'ajv';
import type { JsonSchema } from '@runtime/contracts';
import { invalid, toolError } from './errors.js';

// One compiler for every data tool: ajv caches compiled schemas per instance.
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });

/** Compiles a tool's JSON Schema into an argument parser, refusing a schema that is not an object one. */
export function jsonSchemaArguments(tool: string, schema: JsonSchema): (args: unknown) => unknown {
  if (schema.type !== 'object') {
    throw invalid(`Tool ${tool}: inputSchema must describe an object (type: "object").`, {
      tool,
      issues: [{ path: ['inputSchema', 'type'], message: 'must be "object"' }],
    });
  }
  const { $schema: _ignored, ...withoutDialect } = schema;
  let validate: ReturnType<typeof ajv.compile>;
  try {
    validate = ajv.compile(withoutDialect);
  } catch (error) {
    throw invalid(`Tool ${tool}: inputSchema is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`, {
      tool,
      issues: [{ path: ['inputSchema'], message: error instanceof Error ? error.message : String(error) }],
    });
  }
  return (args) => {
    // ajv fills defaults in place: check a copy so the caller's value is never mutated.
    const copy = structuredClone(args);
    if (validate(copy)) return copy;
    const issues = (validate.errors ?? []).map((error) => ({
      path: error.instancePath.split('/').filter((part) => part !== ''),
      message: error.message ?? error.keyword,
    }));
    throw toolError('TOOL_INVALID_ARGUMENTS', tool, `Arguments of ${tool} do not match its schema: ${ajv.errorsText(validate.errors)}`, { issues });
  };
}
