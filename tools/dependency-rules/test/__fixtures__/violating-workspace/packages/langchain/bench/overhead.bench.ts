// A benchmark of the adapter may use @runtime/cost (allowed), but not another domain (violation).
import { createBudgetLedger } from '@runtime/cost';
import { createPolicyEnforcer } from '@runtime/policy';
export const parts = [createBudgetLedger, createPolicyEnforcer];
