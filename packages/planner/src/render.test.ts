import { describe, expect, it } from 'vitest';
import { scriptedPlannerLlm, shopAnswers, shopPrd, shopScript } from '../test/scripted-llm.js';
import { criticalityOrder } from './estimate.js';
import { planFromPrd } from './planner.js';
import { renderContract } from './render.js';

describe('renderContract', () => {
  it('renders entities, events and a service interface with TypeScript types', () => {
    const text = renderContract(shopScript.contracts.orders);
    expect(text).toContain('// Requires: accounts.getUser, catalog.getProduct');
    expect(text).toContain('export interface Order {\n  readonly id: string;\n  readonly userId: string;\n  readonly items: readonly OrderItem[];\n  readonly totalCents: number;\n  readonly placedAt: string;\n}');
    expect(text).toContain('export interface OrderPlacedEvent {');
    expect(text).toContain('  /** @throws OUT_OF_STOCK, EMPTY_CART */\n  checkout(userId: string): Promise<Order>;');
    expect(text).toContain('listOrders(userId: string): Promise<readonly Order[]>;');
  });
});

describe('criticalityOrder', () => {
  it('pending tasks only; tests and leaves first, the integration task (on the critical path) last', async () => {
    const plan = await planFromPrd(shopPrd, { model: 'm', llm: scriptedPlannerLlm(shopAnswers()) });
    const order = criticalityOrder(plan);
    expect(order).toHaveLength(plan.tasks.filter((task) => task.state === 'pending').length);
    expect(order.some((id) => id.startsWith('design.'))).toBe(false);
    expect(order.at(-1)).toBe('integrate');
    expect(order.indexOf('test.catalog')).toBeLessThan(order.indexOf('impl.catalog.R3'));
    // impl.catalog.R4 (should) before impl.catalog.R3 (must): same kind, both inner tasks.
    expect(order.indexOf('impl.catalog.R4')).toBeLessThan(order.indexOf('impl.catalog.R3'));
  });
});
