/**
 * Finds the TypeScript blocks of the repository's READMEs. A block is fenced with ```ts or
 * ```typescript; every block is type-checked and run. A block that cannot run offline says so
 * in its info string with a reason — ```ts no-run: starts a server that runs until a signal —
 * and is then only type-checked. Any other text after the language is an error, so a typo does
 * not silently turn a check off.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { workspaceGlobs, workspaceRoot } from '../../packaging/src/workspace.js';

/** One TypeScript block of a README. */
export interface Snippet {
  /** README path relative to the repository root. */
  readonly readme: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  /** Why the block is not run; undefined for a block that is run. */
  readonly noRun: string | undefined;
}

/** The root README and the README of every workspace package folder. */
export function readmeFiles(root: string = workspaceRoot): string[] {
  const files = [join(root, 'README.md')];
  for (const folder of workspaceGlobs(root)) {
    const parent = join(root, folder);
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = join(parent, entry.name, 'README.md');
      if (entry.isDirectory() && existsSync(file)) files.push(file);
    }
  }
  return files.filter((file) => existsSync(file));
}

const TS_LANGS = new Set(['ts', 'typescript']);

/** The TypeScript blocks of one README's text. Throws on an unclosed fence or an unknown info string. */
export function extractSnippets(readme: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const snippets: Snippet[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(lines[index] ?? '');
    if (open === null) continue;
    const [, indent = '', fence = '', lang = '', rest = ''] = open;
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    let end = index + 1;
    while (end < lines.length && !close.test(lines[end] ?? '')) end++;
    if (end >= lines.length) throw new Error(`${readme}:${index + 1}: code fence is never closed`);
    if (TS_LANGS.has(lang.toLowerCase())) {
      const info = rest.trim();
      let noRun: string | undefined;
      if (info !== '') {
        const marked = /^no-run\b[:\s]*(.*)$/.exec(info);
        if (marked === null) throw new Error(`${readme}:${index + 1}: unknown info string "${info}" (only "no-run: <reason>" is understood)`);
        noRun = (marked[1] ?? '').trim();
        if (noRun === '') throw new Error(`${readme}:${index + 1}: "no-run" needs a reason, e.g. \`\`\`ts no-run: needs a PostgreSQL server`);
      }
      const body = lines.slice(index + 1, end).map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line));
      snippets.push({ readme, line: index + 1, code: `${body.join('\n')}\n`, noRun });
    }
    index = end;
  }
  return snippets;
}

/** Every TypeScript block of every README, in file then line order. */
export function allSnippets(root: string = workspaceRoot): Snippet[] {
  return readmeFiles(root).flatMap((file) => extractSnippets(relative(root, file), readFileSync(file, 'utf8')));
}
