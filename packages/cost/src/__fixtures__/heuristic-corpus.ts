/**
 * The calibration corpus of the heuristic token bound: one entry per content type, each a list of
 * samples. Generated samples come from a fixed-seed generator, so the corpus is the same on every run.
 */

/** A deterministic pseudo-random generator (mulberry32). */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(random: () => number, alphabet: string, length: number): string {
  let text = '';
  for (let index = 0; index < length; index++) text += alphabet[Math.floor(random() * alphabet.length)] ?? '';
  return text;
}

function lines(count: number, make: (index: number) => string): string {
  return Array.from({ length: count }, (_, index) => make(index)).join('\n');
}

const random = generator(20261204);
const HEX = '0123456789abcdef';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGITS = '0123456789';

const prose = [
  'The quick brown fox jumps over the lazy dog. It was the best of times, it was the worst of times.',
  'Budgets are reserved before a call and settled after it; concurrent callers can never overshoot a limit, even across replicas.',
  'A runtime layer for agentic systems runs a graph of tasks with bounded parallelism, gives each task the context it needs within its window, counts tokens and money exactly, and reports what happened.',
  'Ünïcödé façade naïve café — “quotes” and ‘apostrophes’ … ellipsis, déjà vu, Straße, smörgåsbord.',
  'Dear team,\n\nPlease find attached the quarterly report. Revenue grew 12% year over year, while operating costs stayed flat.\n\nBest regards,\nAlex',
];

const code = [
  'export function add(a: number, b: number): number {\n  return a + b;\n}\n\nconst total = [1, 2, 3].reduce(add, 0);\n',
  'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\nprint([fib(i) for i in range(20)])\n',
  'SELECT id, name, SUM(cost) AS total FROM usage WHERE tenant = $1 GROUP BY id, name ORDER BY total DESC LIMIT 10;',
  '#include <stdio.h>\nint main(void) {\n\tfor (int i = 0; i < 10; ++i) { printf("%d\\n", i * i); }\n\treturn 0;\n}\n',
  'fn main() {\n    let v: Vec<u64> = (1..=10).map(|x| x * x).collect();\n    println!("{:?}", v);\n}\n',
];

const json = [
  '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":128,"temperature":0.2}',
  JSON.stringify({ users: Array.from({ length: 12 }, (_, index) => ({ id: index + 1000, name: `user-${index}`, active: index % 2 === 0, score: Math.round(random() * 1e6) / 100 })) }, null, 2),
  JSON.stringify({ a: { b: { c: { d: [1, 2, { e: null, f: true, g: 'x' }] } } } }),
];

const numbers = [
  lines(20, () => pick(random, DIGITS, 12)),
  lines(20, () => `${pick(random, '123456789', 1)}${pick(random, DIGITS, 11)}`).replace(/\n/g, ' '),
  lines(10, () => `${pick(random, DIGITS, 3)}.${pick(random, DIGITS, 6)} -${pick(random, DIGITS, 5)}e-${pick(random, DIGITS, 2)}`),
  pick(random, DIGITS, 400),
];

const hex = [
  lines(8, () => pick(random, HEX, 64)),
  lines(8, () => `0x${pick(random, HEX, 40)}`),
  pick(random, HEX, 512),
  lines(6, () => `${pick(random, HEX, 8)}-${pick(random, HEX, 4)}-${pick(random, HEX, 4)}-${pick(random, HEX, 4)}-${pick(random, HEX, 12)}`),
];

const base64 = [pick(random, BASE64, 600), lines(8, () => pick(random, BASE64, 76)), `data:image/png;base64,${pick(random, BASE64, 300)}==`];

const csv = [
  `id,amount,price,quantity\n${lines(30, (index) => `${index},${pick(random, DIGITS, 6)},${pick(random, DIGITS, 3)}.${pick(random, DIGITS, 2)},${pick(random, DIGITS, 2)}`)}`,
  lines(25, () => Array.from({ length: 8 }, () => pick(random, DIGITS, 1 + Math.floor(random() * 5))).join(',')),
  lines(20, () => Array.from({ length: 6 }, () => `${pick(random, DIGITS, 2)}.${pick(random, DIGITS, 4)}`).join(';')),
];

const cjk = [
  '日本語のテキストとトークン化。中文文本也需要计数。한국어 텍스트도 있습니다.',
  '人工知能の予算管理は、呼び出しの前に最悪の場合を予約し、呼び出しの後に実際の費用で精算します。',
  '这是一个用于测试分词器的中文段落，其中包含标点符号、数字１２３和英文单词 token。',
  '대규모 언어 모델의 토큰 수는 텍스트의 언어와 형식에 따라 크게 달라집니다.',
];

const emoji = [
  'Emoji: 🚀🔥✨👩‍💻 and flags 🇫🇷🇯🇵, math ∑∫√∞ ≈ ≠ ≤ ≥',
  '👍🏽👍🏿🧑‍🤝‍🧑🏳️‍🌈😀😃😄😁😆😅😂🤣🥲☺️😊😇🙂🙃😉😌😍🥰😘',
  '🎉🎊🎈 party time! 🥳🍾🥂 🐶🐱🐭🐹🐰🦊🐻🐼',
];

const mixed = [
  'Tabs\tand    many     spaces\n\n\n\nand newlines\r\nwindows line endings',
  'A literal special token in user content: <|endoftext|> and <|im_start|>system<|im_end|>',
  'https://example.com/path?query=value&other=1#fragment user@example.com 192.168.0.1 0x1F3A',
  `Order #${pick(random, DIGITS, 12)} for 客户 ${pick(random, HEX, 16)} 🚀: total $${pick(random, DIGITS, 4)}.${pick(random, DIGITS, 2)} (ref ${pick(random, BASE64, 24)})`,
  '<div class="card"><h1>Title</h1><p>Some <b>bold</b> text &amp; an entity.</p></div>',
  '| col | value |\n| --- | ---: |\n| a | 1 |\n| b | 22 |\n| ccc | 333 |',
  '((((((((((]]]]]]]]]]}}}}}}}}}}~~~~~~~~~~!!!!!!!!!!??????????..........',
  'a',
  ' ',
  '7',
];

/** Samples by content type. */
export const HEURISTIC_CORPUS: Readonly<Record<string, readonly string[]>> = {
  prose,
  code,
  json,
  numbers,
  hex,
  base64,
  'numeric csv': csv,
  cjk,
  emoji,
  mixed,
};
