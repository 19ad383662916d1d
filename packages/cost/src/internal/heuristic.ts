/**
 * Token bound for models without a public tokenizer (Anthropic's, unknown models).
 *
 * @remarks
 * `min(ceil(factor × o200k), UTF-8 bytes)`, at least 1 for non-empty text. The byte count is a hard
 * bound for a byte-level BPE (every token covers at least one byte; unknown characters fall back to
 * one token per byte). The factor bounds how many more tokens the provider's tokenizer makes than
 * o200k: third-party measurements put Claude's tokenizer (Claude 3 through 4.6) at +16% on English,
 * +21% on maths and +30% on code against GPT-4o's o200k; the default 1.5 keeps a margin above that.
 * The old character-class estimate fell to 0.42× o200k on base64 and 0.43× on hex, so it was no
 * bound at all. Calibration and slack per content type: `bench/heuristic-bound.ts` and the README.
 */

/** UTF-8 length of a string without allocating a buffer. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** The bound of a text from its exact o200k count. */
export function boundedTokenCount(text: string, o200kTokens: number, factor: number): number {
  if (text.length === 0) return 0;
  return Math.max(1, Math.min(Math.ceil(factor * o200kTokens), utf8Length(text)));
}
