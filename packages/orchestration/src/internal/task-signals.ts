/**
 * One abort signal per running task, all driven by a single listener on the run's signal.
 *
 * @remarks
 * Handing the run's own signal to every concurrent model call makes each client add its abort
 * listener to that one signal: past 10 tasks in flight Node warns `MaxListenersExceededWarning`,
 * and every abort walks all of them. Instead each task attempt gets its own signal; the run's
 * signal has exactly one listener, which aborts the signals of the tasks still running (with the
 * run's abort reason). A controller whose task ended without an abort is reused by a later task
 * (an `AbortController` costs several µs to create — more than the rest of the scheduling per
 * task); a controller that was aborted is never reused.
 */
export class TaskSignals {
  readonly #run: AbortSignal;
  readonly #active = new Set<AbortController>();
  readonly #free: AbortController[] = [];
  readonly #maxFree: number;

  /** `maxFree`: most idle controllers kept for reuse (the run's parallelism). */
  constructor(run: AbortSignal, maxFree: number) {
    this.#run = run;
    this.#maxFree = maxFree;
    run.addEventListener(
      'abort',
      () => {
        const reason: unknown = run.reason;
        const active = [...this.#active];
        this.#active.clear();
        this.#free.length = 0;
        for (const controller of active) controller.abort(reason);
      },
      { once: true },
    );
  }

  /** Running tasks' signals not released yet. */
  get active(): number {
    return this.#active.size;
  }

  /** A signal for one task attempt; already aborted when the run is. */
  acquire(): AbortController {
    const controller = this.#free.pop() ?? new AbortController();
    if (this.#run.aborted) controller.abort(this.#run.reason);
    else this.#active.add(controller);
    return controller;
  }

  /** The attempt ended: its controller goes back to the pool unless it was aborted. */
  release(controller: AbortController): void {
    if (!this.#active.delete(controller)) return;
    if (!controller.signal.aborted && this.#free.length < this.#maxFree) this.#free.push(controller);
  }
}
