import { fileURLToPath } from 'node:url';
import { ModelError, ValidationError } from '@runtime/contracts';
import type { ModelCatalogFile, ModelConfig } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOG_AS_OF, BUILTIN_MODELS } from './builtin-models.js';
import { parseModelCatalogFile } from './catalog-file.js';
import { createModelCatalog } from './model-catalog.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

function model(id: string, role?: ModelConfig['role']): ModelConfig {
  return {
    id,
    provider: 'mock',
    maxInputTokens: 1000,
    maxOutputTokens: 100,
    pricing: { inputPerMTok: 1, outputPerMTok: 2 },
    ...(role === undefined ? {} : { role }),
  };
}

function validationError(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (ValidationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('createModelCatalog', () => {
  it('has current OpenAI and Anthropic models with prices, windows, roles and encodings', () => {
    const catalog = createModelCatalog();
    expect(BUILTIN_CATALOG_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(catalog.list()).toBe(catalog.list());
    expect(catalog.list().length).toBe(BUILTIN_MODELS.length);
    expect(catalog.get('gpt-4o-mini')).toMatchObject({ provider: 'openai', encoding: 'o200k_base', role: 'fast' });
    expect(catalog.get('claude-sonnet-4-5')).toMatchObject({ provider: 'anthropic', role: 'balanced' });
    expect(catalog.get('claude-sonnet-4-5').encoding).toBeUndefined();
    expect(new Set(catalog.list().map((entry) => entry.provider))).toEqual(new Set(['openai', 'anthropic']));
    expect(catalog.defaultModel().id).toBe('gpt-5-mini');
    expect(catalog.forTier(1).role).toBe('fast');
    expect(catalog.forTier(3).role).toBe('flagship');
  });

  it('throws UNKNOWN_MODEL for an unknown id; find returns undefined', () => {
    const catalog = createModelCatalog();
    expect(catalog.find('nope')).toBeUndefined();
    expect(() => catalog.get('nope')).toThrow(ModelError);
    try {
      catalog.get('nope');
    } catch (error) {
      expect(ModelError.isInstance(error) && error.code === 'UNKNOWN_MODEL' && error.details['model'] === 'nope').toBe(true);
    }
  });

  it('maps roles: explicit override, else first of the role, else next stronger role, else default', () => {
    const onlyFlagship = createModelCatalog({ builtin: false, catalogs: [{ models: [model('big', 'flagship'), model('mid')] }] });
    expect(onlyFlagship.forRole('fast').id).toBe('mid');
    expect(onlyFlagship.forRole('balanced').id).toBe('mid');
    expect(onlyFlagship.forRole('flagship').id).toBe('big');
    const onlyFast = createModelCatalog({ builtin: false, catalogs: [{ models: [model('small', 'fast')] }], defaultModel: 'small' });
    expect(onlyFast.forRole('flagship').id).toBe('small');
    const overridden = createModelCatalog({ roles: { flagship: 'gpt-4o' } });
    expect(overridden.forTier(3).id).toBe('gpt-4o');
  });

  it('merges a YAML file over the built-in catalog (new model, overridden price, roles, default)', () => {
    const catalog = createModelCatalog({ files: [fixture('catalog.yaml')] });
    expect(catalog.get('local-llama')).toMatchObject({
      providerModel: 'llama-3.1-8b-instruct',
      role: 'fast',
      contextWindow: 131072,
      capabilities: { outputTokensParam: 'max_tokens' },
      pricing: { cacheWrite1hPerMTok: 0.04 },
    });
    expect(catalog.get('gpt-4o-mini').pricing.inputPerMTok).toBe(0.1);
    expect(catalog.forRole('fast').id).toBe('local-llama');
    expect(catalog.defaultModel().id).toBe('local-llama');
    expect(catalog.list().length).toBe(BUILTIN_MODELS.length + 1);
  });

  it('refuses a context window smaller than the output cap, naming the field and the model', () => {
    const error = validationError(() =>
      createModelCatalog({
        catalogs: [{ models: [{ id: 'tiny', provider: 'openai', maxInputTokens: 100, maxOutputTokens: 200, contextWindow: 150, pricing: { inputPerMTok: 1, outputPerMTok: 1 } }] }],
      }),
    );
    expect(error.details).toMatchObject({ field: 'models[0].contextWindow', model: 'tiny' });
  });

  it('gives every built-in model a context window ≥ its output cap and ≥ its prompt limit, and OpenAI models max_completion_tokens', () => {
    for (const model of BUILTIN_MODELS) {
      expect(model.contextWindow, model.id).toBeGreaterThanOrEqual(model.maxOutputTokens);
      expect(model.contextWindow, model.id).toBeGreaterThanOrEqual(model.maxInputTokens);
      if (model.provider === 'openai') expect(model.capabilities?.outputTokensParam, model.id).toBe('max_completion_tokens');
      if (model.provider === 'anthropic') {
        // Anthropic: 5-minute writes 1.25×, 1-hour writes 2×, reads 0.1× the input rate.
        expect(model.pricing.cacheWritePerMTok, model.id).toBeCloseTo(model.pricing.inputPerMTok * 1.25, 9);
        expect(model.pricing.cacheWrite1hPerMTok, model.id).toBeCloseTo(model.pricing.inputPerMTok * 2, 9);
        expect(model.pricing.cacheReadPerMTok, model.id).toBeCloseTo(model.pricing.inputPerMTok * 0.1, 9);
      }
    }
    expect(BUILTIN_CATALOG_AS_OF).toBe('2026-12-04');
  });

  it('names the field and the model id of a bad catalog file', () => {
    const error = validationError(() => createModelCatalog({ files: [fixture('bad-price.json')] }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ field: 'models[1].pricing.inputPerMTok', model: 'broken-model' });
    expect(error.message).toContain('broken-model');
    expect(error.message).toContain('models[1].pricing.inputPerMTok');
  });

  it('refuses malformed files: bad YAML, unknown fields, over-precise prices, duplicates, unknown references', () => {
    expect(validationError(() => parseModelCatalogFile('models: [unclosed', 'yaml')).details['field']).toBe('');
    expect(validationError(() => parseModelCatalogFile('{"models": [', 'json')).code).toBe('VALIDATION_FAILED');
    const unknownField = validationError(() => parseModelCatalogFile(JSON.stringify({ models: [{ ...model('m1'), colour: 'red' }] }), 'json'));
    expect(unknownField.details).toMatchObject({ field: 'models[0].colour', model: 'm1' });
    const precise: ModelCatalogFile = { models: [{ ...model('m2'), pricing: { inputPerMTok: 0.0000000001, outputPerMTok: 1 } }] };
    expect(validationError(() => createModelCatalog({ catalogs: [precise] })).details).toMatchObject({ field: 'models[0].pricing.inputPerMTok', model: 'm2' });
    expect(validationError(() => createModelCatalog({ catalogs: [{ models: [model('d'), model('d')] }] })).details).toMatchObject({ field: 'models[1].id' });
    expect(validationError(() => createModelCatalog({ roles: { fast: 'ghost' } })).details).toMatchObject({ field: 'roles.fast', model: 'ghost' });
    expect(validationError(() => createModelCatalog({ defaultModel: 'ghost' })).details).toMatchObject({ field: 'defaultModel' });
    expect(validationError(() => createModelCatalog({ files: ['/nonexistent/models.yaml'] })).code).toBe('VALIDATION_FAILED');
    expect(validationError(() => createModelCatalog({ files: ['models.toml'] })).code).toBe('VALIDATION_FAILED');
    expect(validationError(() => createModelCatalog({ builtin: false })).details).toMatchObject({ field: 'models' });
  });
});
