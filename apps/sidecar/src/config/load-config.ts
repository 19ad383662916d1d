/**
 * Loads the sidecar configuration: a YAML or JSON file named by `RUNTIME_CONFIG` (or passed in),
 * validated with the contracts schema, then overridden by the documented environment variables.
 *
 * @remarks
 * Zero config is valid: no file means mock provider, built-in catalog, SQLite under `./data`.
 * Errors name the file and the field (`server.port`), never echo secrets.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { ValidationError, type RateLimitsConfig, type ShutdownMode, type SidecarConfig } from '@runtime/contracts';
import { sidecarConfigSchema, toValidationIssues } from '@runtime/contracts/schemas';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_EVENT_STREAM_LIMITS, type EventStreamLimits } from '../http/event-stream.js';
import {
  resolveRateLimits,
  resolveShutdownMode,
  resolveStore,
  type ResolvedStoreConfig,
} from './scale-out-config.js';
import { TOOL_CONFIG_KEYS, toolsConfigSchema, type ToolsConfig } from './tool-config.js';

/**
 * Options of {@link loadConfig}.
 * @public
 */
export interface LoadConfigOptions {
  /** Environment to read `RUNTIME_*` variables from. @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Config file; overrides `RUNTIME_CONFIG`. */
  readonly path?: string;
  /** Directory relative paths resolve against. @defaultValue `process.cwd()` */
  readonly cwd?: string;
}

export type { ResolvedStoreConfig } from './scale-out-config.js';

/**
 * The configuration after defaults and environment overrides.
 * @public
 */
export interface ResolvedConfig {
  /** The validated file contents with environment overrides applied. */
  readonly config: SidecarConfig;
  /** Listen host. */
  readonly host: string;
  /** Listen port (0 picks a free one). */
  readonly port: number;
  /** Largest accepted request body. */
  readonly bodyLimitBytes: number;
  /** Run store, with an absolute SQLite path. */
  readonly store: ResolvedStoreConfig;
  /** Deadline for graceful shutdown. */
  readonly shutdownTimeoutMs: number;
  /**
   * What a graceful shutdown does with unfinished runs: `handOver` releases their leases at once
   * (another replica resumes them), `drain` lets the calls in flight finish first.
   */
  readonly shutdownMode: ShutdownMode;
  /** Where the tiers' rate limits are counted (`redis`: shared by every replica, at `url`). */
  readonly rateLimits: RateLimitsConfig;
  /** Budget limits in USD of whole tenants (every run of the tenant charges `tenant:<name>`), by tenant. */
  readonly tenantBudgets: Readonly<Record<string, number>>;
  /** pino level. */
  readonly logLevel: string;
  /** Bounds of each event-stream subscriber. */
  readonly eventStreams: EventStreamLimits;
  /** Largest response body (run views with outputs, task pages). */
  readonly responseLimitBytes: number;
  /** Owner lease of the runs this process executes; another process takes a run over once it expires. */
  readonly leaseTtlMs: number;
  /**
   * How often unfinished runs nobody executes (a dead owner's after lease expiry, a stopped
   * replica's at once) are looked for and resumed here.
   */
  readonly resumeIntervalMs: number;
  /** Agent tools: HTTP tools (`tools`) and the built-in `http_get` (`httpGet`); header variables are resolved when the runtime is built. */
  readonly tools: ToolsConfig;
  /** The file read, if any. */
  readonly source?: string;
}

/**
 * Environment variables understood by {@link loadConfig}.
 * @public
 */
export const CONFIG_ENV_VARS = {
  RUNTIME_CONFIG: 'path of the YAML or JSON config file',
  RUNTIME_HOST: 'overrides server.host',
  RUNTIME_PORT: 'overrides server.port',
  RUNTIME_BODY_LIMIT: 'overrides server.bodyLimitBytes',
  RUNTIME_DB: 'overrides store: a SQLite file path, `memory`, or a PostgreSQL URL (postgres://…)',
  RUNTIME_DB_SCHEMA: 'overrides store.schema (PostgreSQL schema of the store tables); default public',
  RUNTIME_REDIS_URL: 'overrides ledger: a Redis URL for the shared budget ledger and rate limits',
  RUNTIME_SHUTDOWN_MODE: 'overrides shutdown.mode: handOver (release leases at once; default on PostgreSQL) or drain (default otherwise)',
  RUNTIME_REDIS_PREFIX: 'prefix of every Redis key; default agent-runtime:',
  RUNTIME_LOG_LEVEL: 'pino level (fatal, error, warn, info, debug, trace, silent); default info',
  RUNTIME_SHUTDOWN_TIMEOUT_MS: 'overrides shutdown.timeoutMs: graceful shutdown deadline in ms; default 10000',
  RUNTIME_RESPONSE_LIMIT: 'largest response body in bytes (GET /v1/runs/{id}?include=outputs answers 413 above it; task pages stop before it); default 8388608',
  RUNTIME_LEASE_TTL_MS: "owner lease of a run in ms: a crashed sidecar's runs are resumed by another (or the restarted one) once it expires; default 30000",
  RUNTIME_RESUME_INTERVAL_MS: 'how often runs nobody executes are looked for and resumed (a replica that stopped hands its runs over at once); default min(lease TTL, 1000)',
  RUNTIME_SSE_STALL_TIMEOUT_MS: 'an event-stream subscriber whose socket accepts nothing for this long is closed (it resumes with Last-Event-ID); default 30000',
  RUNTIME_SSE_MAX_LAG_EVENTS: 'an event-stream subscriber this many events behind a live run is closed; default 10000',
  RUNTIME_SSE_MAX_BUFFERED_BYTES: 'bytes queued per event-stream subscriber before its writer waits for the socket; default 65536',
  RUNTIME_SSE_JOURNAL_POLL_MS: 'how often an event stream of a run executing on another replica reads the journal for new events; default 1000',
} as const;

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 8787;
const DEFAULT_BODY_LIMIT = 1_048_576;
const DEFAULT_DB = './data/runtime.db';
const DEFAULT_SHUTDOWN_MS = 10_000;
const DEFAULT_RESPONSE_LIMIT = 8_388_608;
const DEFAULT_LEASE_TTL_MS = 30_000;
const DEFAULT_RESUME_INTERVAL_MS = 1_000;
const DEFAULT_SSE_JOURNAL_POLL_MS = 1_000;

function configError(message: string, details: Record<string, unknown>): ValidationError {
  return new ValidationError({ code: 'VALIDATION_FAILED', message, details });
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `Cannot read config file ${path}.`,
      details: { file: path },
      cause: error,
    });
  }
  try {
    const extension = extname(path).toLowerCase();
    const value: unknown = extension === '.json' ? JSON.parse(text) : parseYaml(text);
    return value ?? {};
  } catch (error) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `Config file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
      details: { file: path },
      cause: error,
    });
  }
}

function integerFromEnv(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw configError(`Environment variable ${name} must be an integer in ${min}..${max}.`, { field: name, value });
  }
  return parsed;
}

/**
 * A tenant's runs are owned by the tenant, not the key: keys of one tenant on different tiers would
 * apply one key's tier to runs the other key started. Refused at load.
 */
function checkTenantTiers(config: SidecarConfig, source: string | undefined): void {
  const tierOf = new Map<string, { tier: string; index: number }>();
  for (const [index, key] of (config.auth?.apiKeys ?? []).entries()) {
    const first = tierOf.get(key.tenant);
    if (first === undefined) {
      tierOf.set(key.tenant, { tier: key.tier, index });
    } else if (first.tier !== key.tier) {
      const field = `auth.apiKeys[${index}].tier`;
      throw configError(
        `Invalid config${source === undefined ? '' : ` in ${source}`} at ${field}: tenant ${key.tenant} is on tier ${first.tier} (auth.apiKeys[${first.index}]); all keys of a tenant must name the same tier.`,
        { file: source ?? null, field, tenant: key.tenant, tiers: [first.tier, key.tier] },
      );
    }
  }
}

/** The tool sections are the sidecar's own (validated here); the rest is the contracts' config. */
function splitToolSections(file: unknown): { raw: unknown; toolSections: Record<string, unknown> } {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) return { raw: file, toolSections: {} };
  const raw: Record<string, unknown> = { ...(file as Record<string, unknown>) };
  const toolSections: Record<string, unknown> = {};
  for (const key of TOOL_CONFIG_KEYS) {
    if (key in raw) {
      toolSections[key] = raw[key];
      delete raw[key];
    }
  }
  return { raw, toolSections };
}

/**
 * Reads, validates and resolves the configuration.
 * @throws {@link ValidationError} `VALIDATION_FAILED` naming the file and the first bad field
 * (`details.issues` lists all of them).
 * @public
 */
export function loadConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const configPath = options.path ?? (env['RUNTIME_CONFIG'] === '' ? undefined : env['RUNTIME_CONFIG']);
  const source = configPath === undefined ? undefined : resolve(cwd, configPath);
  const file = source === undefined ? {} : readConfigFile(source);
  const { raw, toolSections } = splitToolSections(file);
  const parsed = sidecarConfigSchema.safeParse(raw);
  const parsedTools = toolsConfigSchema.safeParse(toolSections);
  if (!parsed.success || !parsedTools.success) {
    const issues = [...(parsed.success ? [] : toValidationIssues(parsed.error)), ...(parsedTools.success ? [] : toValidationIssues(parsedTools.error))];
    const first = issues[0];
    const where = first === undefined || first.path === '' ? '(root)' : first.path;
    throw configError(`Invalid config${source === undefined ? '' : ` in ${source}`} at ${where}: ${first?.message ?? 'invalid'}.`, {
      file: source ?? null,
      field: where,
      issues,
    });
  }
  let config: SidecarConfig = parsed.data;
  const tools: ToolsConfig = parsedTools.data;
  checkTenantTiers(config, source);
  const host = env['RUNTIME_HOST'] ?? config.server?.host ?? DEFAULT_HOST;
  const port = integerFromEnv('RUNTIME_PORT', env['RUNTIME_PORT'], 0, 65_535) ?? config.server?.port ?? DEFAULT_PORT;
  const bodyLimitBytes =
    integerFromEnv('RUNTIME_BODY_LIMIT', env['RUNTIME_BODY_LIMIT'], 1, 1_073_741_824) ?? config.server?.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const shutdownTimeoutMs =
    integerFromEnv('RUNTIME_SHUTDOWN_TIMEOUT_MS', env['RUNTIME_SHUTDOWN_TIMEOUT_MS'], 0, 3_600_000) ?? config.shutdown?.timeoutMs ?? DEFAULT_SHUTDOWN_MS;
  const store = resolveStore(config, env, cwd, DEFAULT_DB);
  const redisUrl = env['RUNTIME_REDIS_URL'];
  if (redisUrl !== undefined && redisUrl !== '') {
    config = { ...config, ledger: { kind: 'redis', url: redisUrl } };
    // The rate limits follow the ledger's Redis (one connection serves both).
    if (config.rateLimits?.kind === 'redis') config = { ...config, rateLimits: { kind: 'redis' } };
  }
  const rateLimits = resolveRateLimits(config, source);
  const shutdownMode = resolveShutdownMode(store, config, env);
  const tenantBudgets = Object.fromEntries(Object.entries(config.budgets?.tenants ?? {}).map(([tenant, budget]) => [tenant, budget.limitUsd]));
  config = { ...config, server: { host, port, bodyLimitBytes }, store };
  const logLevel = env['RUNTIME_LOG_LEVEL'] ?? 'info';
  const eventStreams: EventStreamLimits = {
    stallTimeoutMs:
      integerFromEnv('RUNTIME_SSE_STALL_TIMEOUT_MS', env['RUNTIME_SSE_STALL_TIMEOUT_MS'], 100, 3_600_000) ?? DEFAULT_EVENT_STREAM_LIMITS.stallTimeoutMs,
    maxLagEvents: integerFromEnv('RUNTIME_SSE_MAX_LAG_EVENTS', env['RUNTIME_SSE_MAX_LAG_EVENTS'], 1, 100_000_000) ?? DEFAULT_EVENT_STREAM_LIMITS.maxLagEvents,
    maxBufferedBytes:
      integerFromEnv('RUNTIME_SSE_MAX_BUFFERED_BYTES', env['RUNTIME_SSE_MAX_BUFFERED_BYTES'], 1_024, 1_073_741_824) ?? DEFAULT_EVENT_STREAM_LIMITS.maxBufferedBytes,
    journalPollMs: integerFromEnv('RUNTIME_SSE_JOURNAL_POLL_MS', env['RUNTIME_SSE_JOURNAL_POLL_MS'], 20, 60_000) ?? DEFAULT_SSE_JOURNAL_POLL_MS,
  };
  const responseLimitBytes = integerFromEnv('RUNTIME_RESPONSE_LIMIT', env['RUNTIME_RESPONSE_LIMIT'], 65_536, 536_870_912) ?? DEFAULT_RESPONSE_LIMIT;
  const leaseTtlMs = integerFromEnv('RUNTIME_LEASE_TTL_MS', env['RUNTIME_LEASE_TTL_MS'], 300, 3_600_000) ?? DEFAULT_LEASE_TTL_MS;
  const resolved: ResolvedConfig = {
    config,
    host,
    port,
    bodyLimitBytes,
    store,
    shutdownTimeoutMs,
    shutdownMode,
    rateLimits,
    tenantBudgets,
    logLevel,
    eventStreams,
    responseLimitBytes,
    leaseTtlMs,
    resumeIntervalMs: integerFromEnv('RUNTIME_RESUME_INTERVAL_MS', env['RUNTIME_RESUME_INTERVAL_MS'], 50, 3_600_000) ?? Math.min(leaseTtlMs, DEFAULT_RESUME_INTERVAL_MS),
    tools,
  };
  return source === undefined ? resolved : { ...resolved, source };
}
