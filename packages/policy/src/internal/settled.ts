/** Runs a synchronous step as a promise: a throw becomes a rejection, never a synchronous throw. */
export function settled<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
