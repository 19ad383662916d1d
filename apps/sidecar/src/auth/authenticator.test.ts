import { AuthError, ValidationError } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { createAuthenticator, hashApiKey } from './authenticator.js';

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (AuthError.isInstance(error) || ValidationError.isInstance(error)) return error.code;
    throw error;
  }
  return 'none';
}

describe('createAuthenticator', () => {
  it('is off without keys: everything belongs to tenant default', () => {
    const auth = createAuthenticator();
    expect(auth.enabled).toBe(false);
    expect(auth.authenticate(undefined)).toEqual({ tenant: 'default', tier: 'default' });
  });

  it('maps env keys and hashed keys to tenants and tiers', () => {
    const auth = createAuthenticator({
      apiKeys: [
        { keyEnv: 'KEY_A', tenant: 'acme', tier: 'pro' },
        { keyHash: hashApiKey('secret-b'), tenant: 'globex', tier: 'free' },
      ],
      env: { KEY_A: 'secret-a' },
    });
    expect(auth.enabled).toBe(true);
    expect(auth.authenticate('Bearer secret-a')).toEqual({ tenant: 'acme', tier: 'pro' });
    expect(auth.authenticate('bearer secret-b')).toEqual({ tenant: 'globex', tier: 'free' });
  });

  it('rejects missing, malformed and unknown keys with UNAUTHENTICATED', () => {
    const auth = createAuthenticator({ apiKeys: [{ keyHash: hashApiKey('k'), tenant: 't', tier: 'pro' }] });
    expect(code(() => auth.authenticate(undefined))).toBe('UNAUTHENTICATED');
    expect(code(() => auth.authenticate('Basic abc'))).toBe('UNAUTHENTICATED');
    expect(code(() => auth.authenticate('Bearer '))).toBe('UNAUTHENTICATED');
    expect(code(() => auth.authenticate('Bearer kk'))).toBe('UNAUTHENTICATED');
  });

  it('fails at start when a keyEnv variable is unset, naming the field', () => {
    expect(code(() => createAuthenticator({ apiKeys: [{ keyEnv: 'NOPE', tenant: 't', tier: 'pro' }], env: {} }))).toBe('VALIDATION_FAILED');
  });
});
