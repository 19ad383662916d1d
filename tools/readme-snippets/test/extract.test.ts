import { describe, expect, it } from 'vitest';
import { extractSnippets } from '../src/snippets.js';

describe('extractSnippets', () => {
  it('takes ts and typescript blocks with their fence line, skips other languages', () => {
    const text = ['# T', '```ts', 'const a = 1;', '```', '```sh', 'echo hi', '```', '```typescript', 'const b = 2;', '```'].join('\n');
    expect(extractSnippets('R.md', text)).toEqual([
      { readme: 'R.md', line: 2, code: 'const a = 1;\n', noRun: undefined },
      { readme: 'R.md', line: 8, code: 'const b = 2;\n', noRun: undefined },
    ]);
  });

  it('reads "no-run: reason" and strips the indentation of a block inside a list', () => {
    const text = ['- item', '  ```ts no-run: needs a PostgreSQL server', '  await connect();', '  ```'].join('\n');
    expect(extractSnippets('R.md', text)).toEqual([{ readme: 'R.md', line: 2, code: 'await connect();\n', noRun: 'needs a PostgreSQL server' }]);
  });

  it('does not take a ts fence inside a longer fence (a README showing Markdown)', () => {
    const text = ['````md', '```ts', 'oops(', '```', '````'].join('\n');
    expect(extractSnippets('R.md', text)).toEqual([]);
  });

  it('rejects no-run without a reason, an unknown info string and an unclosed fence', () => {
    expect(() => extractSnippets('R.md', '```ts no-run\nx\n```')).toThrow(/needs a reason/);
    expect(() => extractSnippets('R.md', '```ts norun: typo\nx\n```')).toThrow(/unknown info string/);
    expect(() => extractSnippets('R.md', '```ts\nx\n')).toThrow(/never closed/);
  });
});
