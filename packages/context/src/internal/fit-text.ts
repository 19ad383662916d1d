/**
 * Cutting a text to a token limit with an explicit marker, by binary search on its length.
 */

/** Whether the UTF-16 unit at `index` is the second half of a surrogate pair. */
function isLowSurrogate(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * The longest prefix of `text` (never splitting a surrogate pair) for which `fits(prefix)` holds,
 * assuming `fits` is monotone in the prefix length. Returns `undefined` when even the empty prefix
 * does not fit. Calls `fits` O(log n) times.
 */
export function longestFittingPrefix(text: string, fits: (prefix: string) => boolean): string | undefined {
  if (!fits('')) return undefined;
  if (fits(text)) return text;
  let low = 0;
  let high = text.length;
  while (high - low > 1) {
    let middle = Math.floor((low + high) / 2);
    // Never cut between the halves of a surrogate pair: move to just after the pair, or before it.
    if (isLowSurrogate(text, middle)) middle = middle + 1 < high ? middle + 1 : middle - 1;
    if (middle <= low) break;
    if (fits(text.slice(0, middle))) low = middle;
    else high = middle;
  }
  return text.slice(0, low);
}
