// Violation: a relative path that climbs into another domain package's source.
import { countTokens } from '../../cost/src/index.js';
// Allowed: the shared contracts, also through a dynamic import.
export const contracts = import('@runtime/contracts');
export const count = countTokens;
