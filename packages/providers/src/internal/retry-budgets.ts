/**
 * Retries left per run, shared by every call that names the run. Calls without a run id are only
 * bounded by their attempt limit. The table is bounded: the oldest run is forgotten past `maxRuns`.
 */
export class RetryBudgets {
  readonly #used = new Map<string, number>();
  readonly #perRun: number;
  readonly #maxRuns: number;

  constructor(perRun: number, maxRuns: number) {
    this.#perRun = perRun;
    this.#maxRuns = maxRuns;
  }

  get perRun(): number {
    return this.#perRun;
  }

  /** Takes one retry from the run's budget; false when it is spent. */
  take(runId: string | undefined): boolean {
    if (runId === undefined) return true;
    const used = this.#used.get(runId) ?? 0;
    if (used >= this.#perRun) return false;
    if (used === 0 && this.#used.size >= this.#maxRuns) {
      const oldest = this.#used.keys().next();
      if (oldest.done !== true) this.#used.delete(oldest.value);
    }
    this.#used.set(runId, used + 1);
    return true;
  }

  used(runId: string): number {
    return this.#used.get(runId) ?? 0;
  }

  forget(runId: string): void {
    this.#used.delete(runId);
  }
}
