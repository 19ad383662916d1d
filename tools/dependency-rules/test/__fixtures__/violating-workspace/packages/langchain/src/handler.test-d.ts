// A (type) test of the adapter may use @runtime/cost (allowed).
import { createBudgetLedger } from '@runtime/cost';
export const ledger = createBudgetLedger;
