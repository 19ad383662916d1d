/**
 * A least-recently-used cache of token counts, bounded by entries and by total characters held.
 */
export class TokenCountCache {
  private readonly entries = new Map<string, number>();
  private heldChars = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxChars: number,
  ) {}

  get(text: string): number | undefined {
    const count = this.entries.get(text);
    if (count !== undefined) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.entries.delete(text);
      this.entries.set(text, count);
    }
    return count;
  }

  set(text: string, count: number): void {
    if (this.maxEntries === 0 || text.length > this.maxChars) return;
    this.entries.set(text, count);
    this.heldChars += text.length;
    while (this.entries.size > this.maxEntries || this.heldChars > this.maxChars) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
      this.heldChars -= oldest.value.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
