/**
 * Runs every benchmark of @runtime/cost (or the ones named on the command line:
 * `memory`, `redis`, `tokenizer`, `heuristic`). The tokenizer cold-start figure needs a build (`pnpm build`).
 */
import { benchHeuristicBound } from './heuristic-bound.js';
import { benchLedgerMemory } from './ledger-memory.js';
import { benchLedgerRedis } from './ledger-redis.js';
import { benchTokenizer } from './tokenizer.js';

const wanted = new Set(process.argv.slice(2));
const all = wanted.size === 0;
console.log(`@runtime/cost benchmarks — node ${process.version}, ${new Date().toISOString()}\n`);
if (all || wanted.has('memory')) {
  await benchLedgerMemory();
  console.log('');
}
if (all || wanted.has('redis')) {
  await benchLedgerRedis();
  console.log('');
}
if (all || wanted.has('tokenizer')) benchTokenizer();
if (all || wanted.has('heuristic')) {
  console.log('');
  benchHeuristicBound();
}
