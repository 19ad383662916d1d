/**
 * ContextRouter: turns a completed task's output into what one dependent receives.
 *
 * @remarks
 * Selects a field of a JSON output (`$.summary`, `$.items[0].name`) and caps the text at a token
 * limit, marking any cut explicitly in the text itself. It is not responsible for deciding which
 * dependencies completed (the orchestrator routes only completed ones) nor for building messages
 * ({@link createContextBuilder} wraps each routed output into one message).
 */
import type { ContextRouter, RouteInput, RoutedOutput, TokenEstimator } from '@runtime/contracts';
import { describeValue, isIntegerAtLeast, validationFailed, type Issue } from './internal/errors.js';
import { longestFittingPrefix } from './internal/fit-text.js';
import { parseJsonPath, selectJsonPath } from './internal/json-path.js';

/**
 * Options of {@link createContextRouter}.
 * @public
 */
export interface ContextRouterOptions {
  /** Counts tokens; the only source of token counts. */
  readonly estimator: TokenEstimator;
}

function truncationMarker(dependencyId: string, tokens: number, maxTokens: number): string {
  return `\n[truncated: output of ${dependencyId} cut from ${tokens} to at most ${maxTokens} tokens]`;
}

function select(input: RouteInput): string {
  if (input.select === undefined) return input.output;
  const what = `route of dependency ${input.dependencyId}`;
  const extra = { dependencyId: input.dependencyId, select: input.select };
  const steps = parseJsonPath(input.select);
  if (steps === undefined) {
    throw validationFailed(what, [{ path: 'select', message: `${describeValue(input.select)} is not a path such as $.summary or $.items[0].name` }], extra);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.output);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw validationFailed(what, [{ path: 'select', message: `select ${input.select} needs a JSON output, but the output is not JSON (${reason})` }], extra);
  }
  const selected = selectJsonPath(parsed, steps);
  if (!selected.found) {
    throw validationFailed(what, [{ path: 'select', message: `select ${input.select} does not apply: ${selected.miss.reason}` }], {
      ...extra,
      resolved: selected.miss.resolved,
    });
  }
  return typeof selected.value === 'string' ? selected.value : JSON.stringify(selected.value);
}

/**
 * Creates a {@link @runtime/contracts#ContextRouter}.
 *
 * @remarks
 * A selected string is delivered as is; any other JSON value as compact JSON. With `maxTokens`,
 * a longer text is cut to the longest prefix that fits together with a marker naming the
 * dependency and both sizes, so the dependent (and a reader of the prompt) sees that it was cut.
 *
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` (from `route`) when `select` is not a valid
 * path, the output is not JSON, the path does not apply (`details.resolved` names the part that
 * did), or `maxTokens` is not an integer ≥ 1 or too small to hold the marker.
 * @example
 * ```ts
 * const router = createContextRouter({ estimator });
 * const routed = router.route({ dependencyId: asTaskId('plan'), output, select: '$.summary', maxTokens: 500, model: 'gpt-4o' });
 * ```
 * @public
 */
export function createContextRouter(options: ContextRouterOptions): ContextRouter {
  const { estimator } = options;
  return {
    route(input: RouteInput): RoutedOutput {
      const issues: Issue[] = [];
      if (typeof input.output !== 'string') issues.push({ path: 'output', message: `must be a string, got ${describeValue(input.output)}` });
      if (input.maxTokens !== undefined && !isIntegerAtLeast(input.maxTokens, 1)) {
        issues.push({ path: 'maxTokens', message: `must be an integer ≥ 1, got ${describeValue(input.maxTokens)}` });
      }
      if (issues.length > 0) throw validationFailed(`route of dependency ${input.dependencyId}`, issues, { dependencyId: input.dependencyId });
      const content = select(input);
      const tokens = estimator.countText(content, input.model);
      const maxTokens = input.maxTokens;
      if (maxTokens === undefined || tokens <= maxTokens) return { dependencyId: input.dependencyId, content, truncated: false, tokens };
      const marker = truncationMarker(input.dependencyId, tokens, maxTokens);
      const kept = longestFittingPrefix(content, (prefix) => estimator.countText(prefix + marker, input.model) <= maxTokens);
      if (kept === undefined) {
        throw validationFailed(
          `route of dependency ${input.dependencyId}`,
          [{ path: 'maxTokens', message: `${maxTokens} tokens cannot hold even the truncation marker (${estimator.countText(marker, input.model)} tokens)` }],
          { dependencyId: input.dependencyId, tokens },
        );
      }
      const cut = kept + marker;
      return { dependencyId: input.dependencyId, content: cut, truncated: true, tokens: estimator.countText(cut, input.model) };
    },
  };
}
