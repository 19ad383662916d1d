/**
 * Token estimate for models without a public tokenizer.
 *
 * @remarks
 * Calibration (ARCHITECTURE.md, o200k on our corpus): chars/4 over-estimates English prose by ≈21%
 * and under-estimates code by ≈2%. Tokenizers without a public encoding (Anthropic's) produce
 * somewhat more tokens than o200k for the same text, so the default divides ASCII characters by
 * 3.2 — 25% more tokens than chars/4: ≈ +51% over o200k on prose, ≈ +22% on code — and counts
 * every non-ASCII UTF-16 unit as a whole token (CJK and emoji are rarely merged). The result is an
 * over-estimate for admission and budgeting; provider-reported usage is the truth. Never 0 for
 * non-empty text.
 */
export function heuristicTokenCount(text: string, asciiCharsPerToken: number): number {
  if (text.length === 0) return 0;
  let nonAscii = 0;
  for (let index = 0; index < text.length; index++) {
    if (text.charCodeAt(index) > 0x7f) nonAscii++;
  }
  const ascii = text.length - nonAscii;
  return Math.max(1, Math.ceil(ascii / asciiCharsPerToken) + nonAscii);
}
