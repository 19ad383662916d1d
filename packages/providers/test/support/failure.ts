import { RuntimeError } from '@runtime/contracts';

/** Awaits `promise` and returns the RuntimeError it rejects with; throws if it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (error) {
    if (RuntimeError.isInstance(error)) return error;
    throw new Error(`not a RuntimeError: ${String(error)}`);
  }
  throw new Error('expected a failure');
}
