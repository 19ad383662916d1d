import type { Contract } from '@runtime/contracts';
import { buildContext } from '@runtime/context';
export type { RateLimit } from '@runtime/policy/redis';
export const usesContext: Contract = buildContext;
