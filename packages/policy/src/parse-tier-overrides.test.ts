import { ValidationError } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { parseTierOverrides } from './parse-tier-overrides.js';
import { createTierResolver } from './tier-resolver.js';

describe('parseTierOverrides', () => {
  it('reads a YAML file, with or without a tiers: section', () => {
    const yaml = 'tiers:\n  pro:\n    rpm: 60\n    allowedTools: [search, fetch]\n';
    expect(parseTierOverrides(yaml)).toEqual({ pro: { rpm: 60, allowedTools: ['search', 'fetch'] } });
    expect(parseTierOverrides('{"free": {"tpm": 5000}}')).toEqual({ free: { tpm: 5_000 } });
    expect(parseTierOverrides('')).toEqual({});
    expect(createTierResolver({ overrides: parseTierOverrides(yaml) }).get('pro').rpm).toBe(60);
  });

  it.each([
    ['a negative limit', 'free:\n  rpm: -3\n'],
    ['an unknown field', 'free:\n  requestsPerMinute: 3\n'],
    ['broken YAML', 'free: [\n'],
    ['a list at the top', '- free\n'],
  ])('rejects %s with VALIDATION_FAILED at load', (_label, source) => {
    expect(() => parseTierOverrides(source)).toThrow(ValidationError);
  });

  it('leaves unknown tier names to the resolver, which rejects them at load', () => {
    expect(() => createTierResolver({ overrides: parseTierOverrides('platinum:\n  rpm: 5\n') })).toThrow(/platinum/);
  });
});
