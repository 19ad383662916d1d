/** Anything thrown, as an Error (non-Error values are wrapped, kept as `cause`). */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value), { cause: value });
}

/** Runs `operation` and returns its value as a promise; a throw becomes a rejection. */
export function attempt<Value>(operation: () => Value): Promise<Value> {
  return new Promise<Value>((resolve) => {
    resolve(operation());
  });
}
