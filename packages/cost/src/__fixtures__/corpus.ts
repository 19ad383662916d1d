/** A small mixed corpus: prose, code, JSON, Unicode, whitespace runs and special-token text. */
export const MIXED_CORPUS: readonly string[] = [
  'The quick brown fox jumps over the lazy dog. It was the best of times, it was the worst of times.',
  'Budgets are reserved before a call and settled after it; concurrent callers can never overshoot.',
  'export function add(a: number, b: number): number {\n  return a + b;\n}\n\nconst total = [1, 2, 3].reduce(add, 0);\n',
  'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\nprint([fib(i) for i in range(20)])\n',
  '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":128,"temperature":0.2}',
  'SELECT id, name, SUM(cost) AS total FROM usage WHERE tenant = $1 GROUP BY id, name ORDER BY total DESC LIMIT 10;',
  'Ünïcödé façade naïve café — “quotes” and ‘apostrophes’ … ellipsis',
  '日本語のテキストとトークン化。中文文本也需要计数。한국어 텍스트도 있습니다.',
  'Emoji: 🚀🔥✨👩‍💻 and flags 🇫🇷🇯🇵, math ∑∫√∞ ≈ ≠ ≤ ≥',
  'Tabs\tand    many     spaces\n\n\n\nand newlines\r\nwindows line endings',
  'A literal special token in user content: <|endoftext|> and <|im_start|>system<|im_end|>',
  'https://example.com/path?query=value&other=1#fragment user@example.com 192.168.0.1 0x1F3A',
  '',
  ' ',
  'a',
];
