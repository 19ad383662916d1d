import { ToolError, ValidationError, asRunId, asTaskId } from '@runtime/contracts';
import type { RuntimeError } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, toolParameters } from './define-tool.js';

const context = { signal: new AbortController().signal, runId: asRunId('run_1'), taskId: asTaskId('t1') };

describe('defineTool', () => {
  it('converts the zod input to an object JSON Schema both wire formats accept (no $schema, defaults optional)', () => {
    const tool = defineTool({
      name: 'get_weather',
      description: 'Weather of a city.',
      input: z.object({ city: z.string().describe('City name'), unit: z.enum(['c', 'f']).default('c') }),
      execute: ({ city, unit }) => Promise.resolve(`${city}:${unit}`),
    });
    expect(tool.parameters).toEqual({
      type: 'object',
      properties: { city: { type: 'string', description: 'City name' }, unit: { type: 'string', enum: ['c', 'f'], default: 'c' } },
      required: ['city'],
    });
    expect(tool.parameters).not.toHaveProperty('$schema');
  });

  it('parses arguments with the schema (defaults applied) and refuses bad ones with TOOL_INVALID_ARGUMENTS and issues', async () => {
    const tool = defineTool({
      name: 'add',
      description: 'Adds.',
      input: z.object({ a: z.number(), b: z.number().default(1) }),
      execute: ({ a, b }) => Promise.resolve(String(a + b)),
    });
    const parse = tool.parseArguments;
    if (parse === undefined) throw new Error('defineTool must give parseArguments');
    expect(await tool.execute(parse({ a: 2 }), context)).toBe('3');
    let caught: unknown;
    try {
      parse({ a: 'two' });
    } catch (error) {
      caught = error;
    }
    expect(ToolError.isInstance(caught) && caught.code).toBe('TOOL_INVALID_ARGUMENTS');
    expect((caught as ToolError).details).toMatchObject({ tool: 'add', issues: [{ path: ['a'] }] });
  });

  it('sends non-text results as JSON and checks the output schema', async () => {
    const good = defineTool({
      name: 'good',
      description: 'd',
      input: z.object({}),
      output: z.object({ n: z.number() }),
      execute: () => Promise.resolve({ n: 1 }),
    });
    expect(await good.execute({}, context)).toBe('{"n":1}');
    const bad = defineTool({
      name: 'bad',
      description: 'd',
      input: z.object({}),
      output: z.object({ n: z.number() }),
      execute: () => Promise.resolve({ n: 'one' } as unknown as { n: number }),
    });
    await expect(bad.execute({}, context)).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { tool: 'bad' } });
  });

  it.each([
    ['a name with spaces', { name: 'get weather', input: z.object({}) }],
    ['a name longer than 64', { name: 'x'.repeat(65), input: z.object({}) }],
    ['a non-object root', { name: 'scalar', input: z.string() }],
    ['a schema without a JSON Schema form', { name: 'dated', input: z.object({ at: z.date() }) }],
    ['a negative price', { name: 'pricey', input: z.object({}), costUsd: -1 }],
  ])('refuses %s with VALIDATION_FAILED', (_label, options: { name: string; input: z.ZodType; costUsd?: number }) => {
    let caught: unknown;
    try {
      defineTool<z.ZodType>({ description: 'd', execute: () => Promise.resolve(''), ...options });
    } catch (error) {
      caught = error;
    }
    expect(ValidationError.isInstance(caught)).toBe(true);
    expect((caught as RuntimeError).code).toBe('VALIDATION_FAILED');
  });

  it('toolParameters keeps nested objects and arrays', () => {
    expect(toolParameters('t', z.object({ tags: z.array(z.string()), where: z.object({ lat: z.number() }) }))).toMatchObject({
      type: 'object',
      properties: { tags: { type: 'array', items: { type: 'string' } }, where: { type: 'object', required: ['lat'] } },
      required: ['tags', 'where'],
    });
  });
});
