// Allowed: apps may import everything.
import '@runtime/stack';
import '@runtime/cost';
