/**
 * Configuration files: the sidecar config (HTTP-API.md "Configuration"), model catalog files and
 * tier overrides.
 */
import type { ModelCapabilities, ModelPricing, ModelRole, TokenEncoding } from './model.js';
import type { TierPolicy } from './policy.js';

/**
 * One model in a config or catalog file.
 * @public
 */
export interface ModelConfig {
  /** Catalog id. */
  readonly id: string;
  /** Provider entry name. */
  readonly provider: string;
  /** Provider's model name. @defaultValue `id` */
  readonly providerModel?: string;
  /** Context window. */
  readonly maxInputTokens: number;
  /** Completion cap. */
  readonly maxOutputTokens: number;
  /** Total context window (prompt + completion) where the provider defines one; ≥ `maxOutputTokens`. */
  readonly contextWindow?: number;
  /** @defaultValue `'balanced'` */
  readonly role?: ModelRole;
  /** Prices per million tokens. */
  readonly pricing: ModelPricing;
  /** Public tokenizer encoding, when there is one. */
  readonly encoding?: TokenEncoding;
  /** Features. */
  readonly capabilities?: ModelCapabilities;
}

/**
 * A model catalog file: models to add or override, role mapping and default model.
 * @public
 */
export interface ModelCatalogFile {
  /** Models to add (or replace, by id). */
  readonly models?: readonly ModelConfig[];
  /** Explicit role → model mapping. */
  readonly roles?: Readonly<Partial<Record<ModelRole, string>>>;
  /** The default model. */
  readonly defaultModel?: string;
}

/**
 * A tier override: any subset of a tier's limits.
 * @public
 */
export type TierOverride = Partial<Omit<TierPolicy, 'name'>>;

/**
 * A provider entry of the sidecar config.
 * @public
 */
export interface ProviderConfig {
  /** Wire format. */
  readonly type: 'openai-compatible' | 'anthropic' | 'mock';
  /** Base URL of the API. */
  readonly baseUrl?: string;
  /** Environment variable holding the API key (keys never live in config files). */
  readonly apiKeyEnv?: string;
  /** Per-attempt timeout in ms. */
  readonly timeoutMs?: number;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * An API key entry: the key itself from an environment variable, or its SHA-256 hash.
 * @public
 */
export type ApiKeyConfig =
  | {
      /** Environment variable holding the key. */
      readonly keyEnv: string;
      /** Tenant the key belongs to. */
      readonly tenant: string;
      /** Tier of the tenant. */
      readonly tier: string;
    }
  | {
      /** `sha256:<64 hex digits>` of the key. */
      readonly keyHash: string;
      /** Tenant the key belongs to. */
      readonly tenant: string;
      /** Tier of the tenant. */
      readonly tier: string;
    };

/**
 * Where runs are journaled.
 * @public
 */
export type StoreConfig =
  | {
      /** Embedded SQLite. */
      readonly kind: 'sqlite';
      /** Database file. @defaultValue `./data/runtime.db` */
      readonly path?: string;
    }
  | {
      /** In memory (lost on exit). */
      readonly kind: 'memory';
    }
  | {
      /** PostgreSQL, which several sidecar replicas can share. */
      readonly kind: 'postgres';
      /** Connection URL. */
      readonly url: string;
      /** Schema of the store's tables, created when missing (`[a-z_][a-z0-9_]{0,62}`). @defaultValue `public` */
      readonly schema?: string;
      /** Connections of the store's pool. @defaultValue 10 */
      readonly maxConnections?: number;
    };

/**
 * Where the tiers' per-tenant rate limits are counted.
 * @public
 */
export type RateLimitsConfig =
  | {
      /** Per process. */
      readonly kind: 'memory';
    }
  | {
      /** Shared by every replica. */
      readonly kind: 'redis';
      /** Redis URL; must be the ledger's Redis. @defaultValue the ledger's URL */
      readonly url?: string;
    };

/**
 * What a graceful shutdown does with the runs the process executes: `drain` waits for them up to
 * the deadline; `handOver` releases their leases at once so another replica continues them.
 * @public
 */
export type ShutdownMode = 'drain' | 'handOver';

/**
 * Where budgets are kept.
 * @public
 */
export type LedgerConfig =
  | {
      /** In process. */
      readonly kind: 'memory';
    }
  | {
      /** Shared Redis. */
      readonly kind: 'redis';
      /** Connection URL. */
      readonly url: string;
    };

/**
 * The sidecar configuration file; every section is optional (zero config works).
 * @public
 */
export interface SidecarConfig {
  /** Listener. */
  readonly server?: {
    /** @defaultValue `127.0.0.1` */
    readonly host?: string;
    /** @defaultValue 8787 */
    readonly port?: number;
    /** @defaultValue 1048576 */
    readonly bodyLimitBytes?: number;
  };
  /** Run store. @defaultValue sqlite at ./data/runtime.db */
  readonly store?: StoreConfig;
  /** Budget ledger. @defaultValue memory */
  readonly ledger?: LedgerConfig;
  /** Rate-limit counters. @defaultValue `redis` when the ledger is Redis, else `memory` */
  readonly rateLimits?: RateLimitsConfig;
  /** Graceful shutdown. */
  readonly shutdown?: {
    /** @defaultValue `handOver` on PostgreSQL, `drain` otherwise */
    readonly mode?: ShutdownMode;
    /** Deadline of a drain in ms. @defaultValue 10000 */
    readonly timeoutMs?: number;
  };
  /** Budgets above the runs' own. */
  readonly budgets?: {
    /** Limit in USD of all the runs of a tenant together (ledger scope `tenant:<name>`), by tenant. */
    readonly tenants?: Readonly<Record<string, { readonly limitUsd: number }>>;
  };
  /** Providers by name. @defaultValue one `mock` provider */
  readonly providers?: Readonly<Record<string, ProviderConfig>>;
  /** Models added to (or replacing) the built-in catalog. */
  readonly models?: readonly ModelConfig[];
  /** Default model id. */
  readonly defaultModel?: string;
  /** API keys; none means auth is off and everything belongs to tenant `default`. */
  readonly auth?: {
    /** The keys. */
    readonly apiKeys: readonly ApiKeyConfig[];
  };
  /** Tier overrides by tier name. */
  readonly tiers?: Readonly<Record<string, TierOverride>>;
}
