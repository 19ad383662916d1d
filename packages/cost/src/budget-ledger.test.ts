import { describeLedgerSuite } from '../test/ledger-suite.js';
import { createBudgetLedger } from './budget-ledger.js';

describeLedgerSuite('in-memory', {
  create: (clock) => Promise.resolve(createBudgetLedger({ clock })),
  propertyRuns: 150,
});
