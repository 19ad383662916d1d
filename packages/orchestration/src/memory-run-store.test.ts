import { runStoreContract } from '../test/support/run-store-contract.js';
import { createMemoryRunStore } from './memory-run-store.js';

runStoreContract('createMemoryRunStore', createMemoryRunStore);
