/**
 * Checks of the numeric options every tool factory accepts (defineTool, httpTool, httpGetTool).
 */
import { invalid } from './errors.js';

/** The numeric options of a tool factory. */
export interface NumericToolOptions {
  readonly costUsd?: number | undefined;
  readonly timeoutMs?: number | undefined;
  readonly maxResponseBytes?: number | undefined;
}

/**
 * Refuses a price that is not a finite number ≥ 0 and a deadline or byte cap that is not a positive
 * integer (a NaN or 0 deadline would time every call out at once; a negative price would credit the run).
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` with `details.tool` and the option's path.
 */
export function assertToolOptions(name: string, options: NumericToolOptions): void {
  if (options.costUsd !== undefined && !(Number.isFinite(options.costUsd) && options.costUsd >= 0)) {
    throw invalid(`Tool ${name}: costUsd must be a finite number ≥ 0.`, { tool: name, issues: [{ path: ['costUsd'], message: 'must be ≥ 0' }] });
  }
  for (const key of ['timeoutMs', 'maxResponseBytes'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw invalid(`Tool ${name}: ${key} must be a positive integer.`, { tool: name, issues: [{ path: [key], message: 'must be > 0' }] });
    }
  }
}
