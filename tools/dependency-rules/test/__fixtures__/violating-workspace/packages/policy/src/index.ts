// Clean: contracts, a third-party package, node built-ins and its own files only.
import type { Policy } from '@runtime/contracts';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { helper } from './helper.js';
export const policy: Policy = parse(readFileSync(helper, 'utf8'));
