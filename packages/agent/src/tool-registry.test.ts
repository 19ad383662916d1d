import { asTaskId, RuntimeError, ToolError } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool } from './define-tool.js';
import { createToolRegistry } from './tool-registry.js';

const tool = (name: string) => defineTool({ name, description: `${name} tool`, input: z.object({}), execute: () => Promise.resolve(name) });

function thrown(action: () => unknown): RuntimeError {
  try {
    action();
  } catch (error) {
    if (RuntimeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a RuntimeError');
}

describe('createToolRegistry', () => {
  it('lists definitions sorted by name, without execute', () => {
    const registry = createToolRegistry([tool('zeta'), tool('alpha')]);
    expect(registry.list().map((definition) => definition.name)).toEqual(['alpha', 'zeta']);
    expect(registry.list()[0]).toEqual({ name: 'alpha', description: 'alpha tool', parameters: { type: 'object', properties: {} } });
  });

  it('refuses a duplicate name with VALIDATION_FAILED', () => {
    const registry = createToolRegistry([tool('search')]);
    const error = thrown(() => registry.register(tool('search')));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ tool: 'search' });
  });

  it('get of an unknown tool is TOOL_NOT_FOUND', () => {
    const error = thrown(() => createToolRegistry().get('nope'));
    expect(ToolError.isInstance(error) && error.code).toBe('TOOL_NOT_FOUND');
  });

  it('check names the task and the unknown tool', () => {
    const registry = createToolRegistry([tool('search')]);
    expect(() => registry.check(asTaskId('research'), ['search'])).not.toThrow();
    const error = thrown(() => registry.check(asTaskId('research'), ['search', 'get_weather']));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('research');
    expect(error.message).toContain('get_weather');
    expect(error.details).toMatchObject({ task: 'research', tool: 'get_weather', issues: [{ path: ['tasks', 'research', 'tools', 1] }] });
  });

  it('check refuses a tool named twice', () => {
    const registry = createToolRegistry([tool('search')]);
    expect(thrown(() => registry.check(asTaskId('t'), ['search', 'search'])).details).toMatchObject({ tool: 'search' });
  });
});
