/**
 * Bearer API keys → tenant and tier.
 *
 * @remarks
 * Keys are held only as SHA-256 digests; a presented key is hashed and compared against every
 * configured digest with `crypto.timingSafeEqual` (no early exit), so timing does not reveal which
 * prefix matched. Keys are never logged. No keys configured → auth is off and every request belongs
 * to tenant `default`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthError, ValidationError, type ApiKeyConfig } from '@runtime/contracts';

/**
 * Who is calling.
 * @public
 */
export interface Principal {
  /** Owner of the runs the caller sees. */
  readonly tenant: string;
  /** Tier name (a key of the tier table). */
  readonly tier: string;
}

/**
 * Authenticates requests.
 * @public
 */
export interface Authenticator {
  /** Whether keys are configured. */
  readonly enabled: boolean;
  /**
   * Resolves the `Authorization` header.
   * @throws {@link AuthError} `UNAUTHENTICATED` for a missing, malformed or unknown key.
   */
  authenticate(authorization: string | undefined): Principal;
}

/**
 * Options of {@link createAuthenticator}.
 * @public
 */
export interface AuthenticatorOptions {
  /** Configured keys; empty or absent turns auth off. */
  readonly apiKeys?: readonly ApiKeyConfig[];
  /** Where `keyEnv` entries are read. @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Tier when auth is off. @defaultValue `'default'` (see the sidecar runtime's `ANONYMOUS_TIER`) */
  readonly anonymousTier?: string;
}

interface KeyEntry {
  readonly digest: Buffer;
  readonly principal: Principal;
}

/**
 * SHA-256 digest in the config's `sha256:<hex>` form.
 * @public
 */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

function unauthenticated(message: string): AuthError {
  return new AuthError({ code: 'UNAUTHENTICATED', message, details: {} });
}

/**
 * Builds an {@link Authenticator} from the config's `auth.apiKeys`.
 * @throws {@link ValidationError} when a `keyEnv` variable is unset or empty (names the field).
 * @public
 */
export function createAuthenticator(options: AuthenticatorOptions = {}): Authenticator {
  const env = options.env ?? process.env;
  const entries: KeyEntry[] = (options.apiKeys ?? []).map((entry, index) => {
    let hex: string;
    if ('keyEnv' in entry) {
      const key = env[entry.keyEnv];
      if (key === undefined || key === '') {
        throw new ValidationError({
          code: 'VALIDATION_FAILED',
          message: `Invalid config at auth.apiKeys[${index}].keyEnv: environment variable ${entry.keyEnv} is not set.`,
          details: { field: `auth.apiKeys[${index}].keyEnv`, variable: entry.keyEnv },
        });
      }
      // A key a client cannot send verbatim in `Authorization: Bearer <key>` would always get 401.
      if (!/^[\x21-\x7e]+$/.test(key)) {
        throw new ValidationError({
          code: 'VALIDATION_FAILED',
          message: `Invalid config at auth.apiKeys[${index}].keyEnv: the key in ${entry.keyEnv} must be printable ASCII without whitespace.`,
          details: { field: `auth.apiKeys[${index}].keyEnv`, variable: entry.keyEnv },
        });
      }
      hex = hashApiKey(key).slice('sha256:'.length);
    } else {
      hex = entry.keyHash.slice('sha256:'.length);
    }
    return { digest: Buffer.from(hex, 'hex'), principal: { tenant: entry.tenant, tier: entry.tier } };
  });
  const anonymous: Principal = { tenant: 'default', tier: options.anonymousTier ?? 'default' };
  if (entries.length === 0) {
    return { enabled: false, authenticate: () => anonymous };
  }
  return {
    enabled: true,
    authenticate(authorization) {
      if (authorization === undefined || authorization === '') throw unauthenticated('Missing Authorization header with a Bearer API key.');
      const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
      const key = match?.[1];
      if (key === undefined) throw unauthenticated('Authorization header must be "Bearer <key>".');
      const digest = createHash('sha256').update(key, 'utf8').digest();
      let found: Principal | undefined;
      for (const entry of entries) {
        if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.principal;
      }
      if (found === undefined) throw unauthenticated('Unknown API key.');
      return found;
    },
  };
}
