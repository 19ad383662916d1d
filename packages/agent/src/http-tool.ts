/**
 * Tools declared as data: an HTTP endpoint with a JSON Schema for its arguments (the sidecar's
 * `tools` config), and the built-in `http_get` restricted to an allowlist of hosts.
 *
 * @remarks
 * Arguments are checked with ajv against the declared schema before any request. Responses are
 * read up to a byte cap (longer ones are cut and marked). Redirects are followed by hand, at most
 * five, and every hop is checked: an HTTP tool stays on its configured origin, `http_get` on its
 * allowlist. Not responsible for secrets: `headers` are passed as given (the sidecar resolves them
 * from the environment).
 */
import type { JsonSchema, Tool } from '@runtime/contracts';
import { invalid, toolError } from './internal/errors.js';
import { exchange } from './internal/http-request.js';
import type { HttpToolFetch } from './http-tool-fetch.js';
import { jsonSchemaArguments } from './internal/json-schema-arguments.js';
import { assertToolOptions } from './internal/tool-options.js';
import { assertToolName } from './tool-name.js';

/**
 * Response bytes an HTTP tool reads at most.
 * @public
 */
export const DEFAULT_HTTP_TOOL_MAX_RESPONSE_BYTES = 65_536;

const MAX_REDIRECTS = 5;

/**
 * An HTTP tool declared as data.
 * @public
 */
export interface HttpToolOptions {
  /** Unique name, 1–64 of `A–Z a–z 0–9 _ -`. */
  readonly name: string;
  /** What the tool does, for the model. */
  readonly description: string;
  /** JSON Schema of the arguments (an object schema). */
  readonly inputSchema: JsonSchema;
  /** Endpoint (http or https). */
  readonly url: string;
  /** `GET`/`DELETE` send the arguments as query parameters, other methods as a JSON body. @defaultValue `'POST'` */
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Deadline of one call in ms. @defaultValue the dispatcher's default */
  readonly timeoutMs?: number;
  /** Headers sent with every call (e.g. an API key the sidecar read from the environment). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Price of one call in USD. @defaultValue 0 */
  readonly costUsd?: number;
  /** A human approves each call first. @defaultValue false */
  readonly requiresApproval?: boolean;
  /** Response bytes read at most. @defaultValue {@link DEFAULT_HTTP_TOOL_MAX_RESPONSE_BYTES} */
  readonly maxResponseBytes?: number;
  /** The fetch to use. @defaultValue `globalThis.fetch` */
  readonly fetch?: HttpToolFetch;
}

function parseUrl(tool: string, url: string, field: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`Tool ${tool}: ${field} ${JSON.stringify(url)} is not a URL.`, { tool, issues: [{ path: [field], message: 'not a URL' }] });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid(`Tool ${tool}: ${field} must be http or https.`, { tool, issues: [{ path: [field], message: `protocol ${parsed.protocol}` }] });
  }
  return parsed;
}

function queryValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Creates a tool that calls an HTTP endpoint.
 *
 * @example
 * ```ts
 * const search = httpTool({
 *   name: 'search', description: 'Searches the docs.', url: 'https://search.internal/q', method: 'GET',
 *   inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
 * });
 * ```
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for a bad name, URL or schema, a
 * `costUsd` that is not a finite number ≥ 0, or a `timeoutMs`/`maxResponseBytes` that is not a positive integer.
 * @public
 */
export function httpTool(options: HttpToolOptions): Tool {
  const { name, description } = options;
  assertToolName(name);
  assertToolOptions(name, options);
  const endpoint = parseUrl(name, options.url, 'url');
  const method = options.method ?? 'POST';
  const parseArguments = jsonSchemaArguments(name, options.inputSchema);
  const { $schema: _dialect, ...parameters } = options.inputSchema;
  const doFetch: HttpToolFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_HTTP_TOOL_MAX_RESPONSE_BYTES;
  return {
    name,
    description,
    parameters,
    ...(options.costUsd === undefined ? {} : { costUsd: options.costUsd }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.requiresApproval === undefined ? {} : { requiresApproval: options.requiresApproval }),
    parseArguments,
    async execute(args, context) {
      const url = new URL(endpoint);
      let body: string | undefined;
      const headers: Record<string, string> = { accept: 'application/json, text/plain;q=0.9, */*;q=0.5', ...options.headers };
      if (method === 'GET' || method === 'DELETE') {
        for (const [key, value] of Object.entries((args ?? {}) as Record<string, unknown>)) {
          if (value !== undefined && value !== null) url.searchParams.set(key, queryValue(value));
        }
      } else {
        body = JSON.stringify(args ?? {});
        headers['content-type'] = 'application/json';
      }
      return exchange({
        tool: name,
        url,
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: context.signal,
        maxResponseBytes,
        maxRedirects: MAX_REDIRECTS,
        fetch: doFetch,
        checkUrl: (target) => {
          if (target.origin !== endpoint.origin) {
            throw toolError('TOOL_FAILED', name, `${name}: refused a redirect off ${endpoint.origin} (to ${target.origin}).`, { url: target.href });
          }
        },
      });
    },
  };
}

/**
 * Options of {@link httpGetTool}.
 * @public
 */
export interface HttpGetToolOptions {
  /** Host names (`example.com`, or `host:port`) the tool may fetch from; every other host is refused. */
  readonly allowedHosts: readonly string[];
  /** Deadline of one call in ms. @defaultValue the dispatcher's default */
  readonly timeoutMs?: number;
  /** Response bytes read at most. @defaultValue {@link DEFAULT_HTTP_TOOL_MAX_RESPONSE_BYTES} */
  readonly maxResponseBytes?: number;
  /** The fetch to use. @defaultValue `globalThis.fetch` */
  readonly fetch?: HttpToolFetch;
}

/**
 * Creates the built-in `http_get` tool: fetches a URL on an allowlisted host and returns the body.
 * @remarks A URL (or a redirect) to any other host is refused with `TOOL_REJECTED` before a request
 * is sent there.
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for an empty allowlist, or a
 * `timeoutMs`/`maxResponseBytes` that is not a positive integer.
 * @public
 */
export function httpGetTool(options: HttpGetToolOptions): Tool {
  const name = 'http_get';
  assertToolOptions(name, options);
  const allowed = new Set(options.allowedHosts.map((host) => host.toLowerCase()));
  if (allowed.size === 0) {
    throw invalid('http_get needs at least one allowed host.', { tool: name, issues: [{ path: ['allowedHosts'], message: 'empty' }] });
  }
  const inputSchema: JsonSchema = {
    type: 'object',
    properties: { url: { type: 'string', description: `An http(s) URL on one of: ${[...allowed].join(', ')}` } },
    required: ['url'],
    additionalProperties: false,
  };
  const parseArguments = jsonSchemaArguments(name, inputSchema);
  const doFetch: HttpToolFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const checkUrl = (target: URL) => {
    if ((target.protocol !== 'http:' && target.protocol !== 'https:') || !(allowed.has(target.host.toLowerCase()) || allowed.has(target.hostname.toLowerCase()))) {
      throw toolError('TOOL_REJECTED', name, `http_get refuses ${target.protocol}//${target.host}: not an allowed host.`, {
        url: target.href,
        host: target.host,
        allowedHosts: [...allowed],
      });
    }
  };
  return {
    name,
    description: 'Fetches a web page or API response by URL (GET) and returns its body as text.',
    parameters: inputSchema,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    parseArguments(args) {
      const parsed = parseArguments(args) as { url: string };
      let url: URL;
      try {
        url = new URL(parsed.url);
      } catch {
        throw toolError('TOOL_INVALID_ARGUMENTS', name, `http_get: ${JSON.stringify(parsed.url)} is not a URL.`, { issues: [{ path: ['url'], message: 'not a URL' }] });
      }
      return { url: url.href };
    },
    async execute(args, context) {
      const { url } = args as { url: string };
      return exchange({
        tool: name,
        url: new URL(url),
        method: 'GET',
        headers: { accept: 'text/html, application/json, text/plain;q=0.9, */*;q=0.5' },
        signal: context.signal,
        maxResponseBytes: options.maxResponseBytes ?? DEFAULT_HTTP_TOOL_MAX_RESPONSE_BYTES,
        maxRedirects: MAX_REDIRECTS,
        fetch: doFetch,
        checkUrl,
      });
    },
  };
}
