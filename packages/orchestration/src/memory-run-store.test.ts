import { runStoreContract } from './testing/run-store-contract.js';
import { createMemoryRunStore } from './memory-run-store.js';

runStoreContract('createMemoryRunStore', { open: createMemoryRunStore });
