import { describe, expect, it } from 'vitest';
import { SequenceTable } from './sequence-table.js';

describe('SequenceTable', () => {
  it('keeps values whose slot a newer sequence number claimed, in an overflow map', () => {
    const table = new SequenceTable<string>(16);
    for (let sequence = 1; sequence <= 40; sequence++) table.insert(sequence, `v${sequence}`);
    for (let sequence = 1; sequence <= 40; sequence++) expect(table.get(sequence)).toBe(`v${sequence}`);
    expect(table.overflowSize).toBe(24);
    table.update(3, 'three');
    table.update(40, 'forty');
    table.update(99, 'absent');
    expect([table.get(3), table.get(40), table.get(99)]).toEqual(['three', 'forty', undefined]);
    table.delete(3);
    table.delete(40);
    expect([table.get(3), table.get(40), table.get(24)]).toEqual([undefined, undefined, 'v24']);
    expect(table.overflowSize).toBe(23);
  });

  it('reuses a freed slot without touching the overflow map', () => {
    const table = new SequenceTable<number>(16);
    table.insert(1, 1);
    table.delete(1);
    table.insert(17, 17);
    expect([table.get(1), table.get(17), table.overflowSize]).toEqual([undefined, 17, 0]);
  });
});
