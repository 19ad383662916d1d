/**
 * The sidecar's tools as configuration: HTTP tools (`tools`) and the built-in `http_get`
 * (`httpGet`), so clients in any language get agent tools without code.
 *
 * @remarks
 * The shape is checked when the config loads (errors name the field, like every other config
 * refusal); header values read from the environment are resolved when the runtime is built, and a
 * variable that is not set refuses the start naming the field and the variable, never a value.
 * Not responsible for running the tools: `@runtime/agent` builds them (`httpTool`, `httpGetTool`).
 */
import { httpGetTool, httpTool, TOOL_NAME_PATTERN, type HttpToolOptions } from '@runtime/agent';
import { ValidationError, type Tool } from '@runtime/contracts';
import { z } from 'zod';

/**
 * A header value: literal text, or read from an environment variable (with an optional prefix,
 * e.g. `Bearer `).
 * @public
 */
export type ToolHeaderValue = string | { readonly fromEnv: string; readonly prefix?: string };

/**
 * One HTTP tool of the config's `tools`: `@runtime/agent`'s {@link HttpToolOptions} as a config file
 * can give them — header values literal or `{ fromEnv }`, no fetch or response-size override.
 * @public
 */
export type HttpToolConfig = Omit<HttpToolOptions, 'headers' | 'fetch' | 'maxResponseBytes'> & {
  /** Headers sent with every call; values literal or `{ fromEnv }`. */
  readonly headers?: Readonly<Record<string, ToolHeaderValue>>;
};

/**
 * The config's `httpGet`: enables the built-in `http_get` tool on these hosts only.
 * @public
 */
export interface HttpGetConfig {
  /** Host names (`example.com`, or `host:port`) `http_get` may fetch from. */
  readonly allowHosts: readonly string[];
  /** Deadline of one call in ms. */
  readonly timeoutMs?: number;
}

/**
 * The tool sections of the config.
 * @public
 */
export interface ToolsConfig {
  /** HTTP tools. */
  readonly tools?: readonly HttpToolConfig[];
  /** The built-in `http_get`, off unless given. */
  readonly httpGet?: HttpGetConfig;
}

const toolNameSchema = z.string().regex(TOOL_NAME_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ -');
const envNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name');
const timeoutSchema = z.int().min(1).max(600_000);

const headerValueSchema = z.union([z.string(), z.strictObject({ fromEnv: envNameSchema, prefix: z.string().max(64).exactOptional() })]);

const httpToolConfigSchema = z.strictObject({
  name: toolNameSchema,
  description: z.string().min(1).max(4_096),
  inputSchema: z.record(z.string(), z.unknown()).refine((schema) => schema['type'] === 'object', 'must be a JSON Schema of type object'),
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).exactOptional(),
  timeoutMs: timeoutSchema.exactOptional(),
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/, 'must be an HTTP header name'), headerValueSchema).exactOptional(),
  costUsd: z.number().min(0).max(1_000).exactOptional(),
  requiresApproval: z.boolean().exactOptional(),
});

/**
 * Schema of the tool sections (`tools`, `httpGet`) of the sidecar config.
 * @public
 */
export const toolsConfigSchema: z.ZodType<ToolsConfig> = z
  .strictObject({
    tools: z.array(httpToolConfigSchema).max(256).exactOptional(),
    httpGet: z
      .strictObject({
        allowHosts: z.array(z.string().min(1).max(255).regex(/^[^\s/]+$/, 'must be a host name (host or host:port)')).min(1).max(256),
        timeoutMs: timeoutSchema.exactOptional(),
      })
      .exactOptional(),
  })
  .superRefine((config, context) => {
    const seen = new Map<string, number>();
    for (const [index, tool] of (config.tools ?? []).entries()) {
      const first = seen.get(tool.name);
      if (first !== undefined) {
        context.addIssue({ code: 'custom', path: ['tools', index, 'name'], message: `duplicate tool name ${tool.name} (also tools[${first}])` });
      } else if (tool.name === 'http_get') {
        context.addIssue({ code: 'custom', path: ['tools', index, 'name'], message: 'http_get is the built-in tool; enable it with httpGet' });
      }
      seen.set(tool.name, index);
    }
  });

/** The config keys {@link toolsConfigSchema} owns. */
export const TOOL_CONFIG_KEYS = ['tools', 'httpGet'] as const;

function configError(field: string, message: string, details: Record<string, unknown> = {}): ValidationError {
  return new ValidationError({ code: 'VALIDATION_FAILED', message: `Invalid config at ${field}: ${message}`, details: { field, ...details } });
}

function resolveHeaders(
  index: number,
  headers: Readonly<Record<string, ToolHeaderValue>> | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') {
      resolved[name] = value;
      continue;
    }
    const text = env[value.fromEnv];
    if (text === undefined || text === '') {
      throw configError(`tools[${index}].headers.${name}.fromEnv`, `environment variable ${value.fromEnv} is not set.`, { variable: value.fromEnv });
    }
    resolved[name] = `${value.prefix ?? ''}${text}`;
  }
  return resolved;
}

/**
 * Builds the configured tools: one `httpTool` per `tools` entry (headers resolved from `env`) and
 * `http_get` when `httpGet` is given.
 * @throws {@link ValidationError} `VALIDATION_FAILED` naming the field for a header variable that is
 * not set (`details.variable`) or a tool `@runtime/agent` refuses.
 * @public
 */
export function buildConfiguredTools(config: ToolsConfig, env: Readonly<Record<string, string | undefined>>): Tool[] {
  const tools: Tool[] = [];
  for (const [index, entry] of (config.tools ?? []).entries()) {
    const headers = resolveHeaders(index, entry.headers, env);
    try {
      tools.push(
        httpTool({
          name: entry.name,
          description: entry.description,
          inputSchema: entry.inputSchema,
          url: entry.url,
          ...(entry.method === undefined ? {} : { method: entry.method }),
          ...(entry.timeoutMs === undefined ? {} : { timeoutMs: entry.timeoutMs }),
          ...(headers === undefined ? {} : { headers }),
          ...(entry.costUsd === undefined ? {} : { costUsd: entry.costUsd }),
          ...(entry.requiresApproval === undefined ? {} : { requiresApproval: entry.requiresApproval }),
        }),
      );
    } catch (error) {
      if (ValidationError.isInstance(error)) throw configError(`tools[${index}]`, error.message, { tool: entry.name });
      throw error;
    }
  }
  if (config.httpGet !== undefined) {
    tools.push(httpGetTool({ allowedHosts: config.httpGet.allowHosts, ...(config.httpGet.timeoutMs === undefined ? {} : { timeoutMs: config.httpGet.timeoutMs }) }));
  }
  return tools;
}
