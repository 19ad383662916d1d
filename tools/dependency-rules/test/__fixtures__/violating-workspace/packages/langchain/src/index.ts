// Shipped source of the adapter: @runtime/cost is not allowed here (violation).
import { createBudgetLedger } from '@runtime/cost';
export const ledger = createBudgetLedger;
