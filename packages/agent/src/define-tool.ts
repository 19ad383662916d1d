/**
 * Tools written in TypeScript: a zod input schema (and optionally an output schema), converted to the
 * JSON Schema both the OpenAI `tools` and Anthropic `tools` wire formats accept.
 *
 * @remarks
 * Not responsible for running calls (the dispatcher times, bills and reports them) nor for
 * registering (the registry refuses duplicates).
 */
import type { JsonSchema, Tool, ToolContext } from '@runtime/contracts';
import { z } from 'zod';
import { invalid, toolError } from './internal/errors.js';
import { assertToolOptions } from './internal/tool-options.js';
import type { Issue } from './internal/errors.js';
import { assertToolName } from './tool-name.js';

/**
 * What {@link defineTool} needs.
 * @public
 */
export interface DefineToolOptions<Input extends z.ZodType, Output extends z.ZodType = z.ZodType> {
  /** Unique name, 1–64 of `A–Z a–z 0–9 _ -`. */
  readonly name: string;
  /** What the tool does, for the model. */
  readonly description: string;
  /** Schema of the arguments; its root must be an object. */
  readonly input: Input;
  /** Schema of the result; checked after each call when given (a mismatch is `TOOL_FAILED`). */
  readonly output?: Output;
  /** Runs the tool; a string is sent back as is, anything else as JSON. */
  readonly execute: (args: z.output<Input>, context: ToolContext) => Promise<z.input<Output> | string>;
  /** Deadline of one call in ms. @defaultValue the dispatcher's default */
  readonly timeoutMs?: number;
  /** Price of one call in USD. @defaultValue 0 */
  readonly costUsd?: number;
  /** A human approves each call first. @defaultValue false */
  readonly requiresApproval?: boolean;
}

/**
 * Converts a zod schema to the JSON Schema of a tool's parameters: an object at the root, no
 * `$schema` key (draft-07 keywords, which both wire formats accept), input side (defaults optional).
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` when the schema has no
 * JSON Schema form (dates, transforms …) or its root is not an object.
 */
export function toolParameters(name: string, schema: z.ZodType): JsonSchema {
  let converted: Record<string, unknown>;
  try {
    converted = z.toJSONSchema(schema, { io: 'input', target: 'draft-7' });
  } catch (error) {
    throw invalid(`Tool ${name}: its input schema has no JSON Schema form (${error instanceof Error ? error.message : String(error)}).`, {
      tool: name,
      issues: [{ path: ['input'], message: error instanceof Error ? error.message : String(error) }],
    });
  }
  const { $schema: _dropped, ...parameters } = converted;
  if (parameters.type !== 'object') {
    throw invalid(`Tool ${name}: its input schema must describe an object (both OpenAI and Anthropic require one).`, {
      tool: name,
      issues: [{ path: ['input'], message: `root type is ${JSON.stringify(parameters.type)}, not "object"` }],
    });
  }
  return parameters;
}

function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({ path: issue.path.map((part) => (typeof part === 'number' ? part : String(part))), message: issue.message }));
}

/**
 * Defines a tool from zod schemas.
 *
 * @example
 * ```ts
 * const weather = defineTool({
 *   name: 'get_weather',
 *   description: 'Current weather of a city.',
 *   input: z.object({ city: z.string() }),
 *   execute: async ({ city }) => `Sunny in ${city}`,
 * });
 * ```
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for a bad name, a negative
 * price or timeout, or a schema without an object JSON Schema form.
 * @public
 */
export function defineTool<Input extends z.ZodType, Output extends z.ZodType = z.ZodType>(
  options: DefineToolOptions<Input, Output>,
): Tool {
  const { name, description, input, output } = options;
  assertToolName(name);
  assertToolOptions(name, options);
  const parameters = toolParameters(name, input);
  return {
    name,
    description,
    parameters,
    ...(options.costUsd === undefined ? {} : { costUsd: options.costUsd }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.requiresApproval === undefined ? {} : { requiresApproval: options.requiresApproval }),
    parseArguments(args) {
      const parsed = input.safeParse(args);
      if (!parsed.success) {
        throw toolError('TOOL_INVALID_ARGUMENTS', name, `Arguments of ${name} do not match its schema: ${z.prettifyError(parsed.error)}`, {
          issues: issuesOf(parsed.error),
        });
      }
      return parsed.data;
    },
    async execute(args, context) {
      // `args` is what parseArguments returned (the dispatcher always parses first).
      const value = await options.execute(args as z.output<Input>, context);
      if (output !== undefined) {
        const checked = output.safeParse(value);
        if (!checked.success) {
          throw toolError('TOOL_FAILED', name, `Result of ${name} does not match its output schema: ${z.prettifyError(checked.error)}`, {
            issues: issuesOf(checked.error),
          });
        }
      }
      return typeof value === 'string' ? value : JSON.stringify(value);
    },
  };
}
