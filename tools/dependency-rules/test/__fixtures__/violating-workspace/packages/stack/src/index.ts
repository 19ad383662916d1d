// Allowed: the composition root wires every domain together.
export * from '@runtime/cost';
export * from '@runtime/context';
export * from '@runtime/policy';
