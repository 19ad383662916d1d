import { asRunId, asTaskId } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { formatServerSentEvent } from './event-stream.js';

describe('formatServerSentEvent', () => {
  it('writes id = seq, event = type and the JSON data, ending with a blank line', () => {
    const text = formatServerSentEvent({ type: 'task.ready', taskId: asTaskId('a'), runId: asRunId('r'), seq: 7, at: '2026-01-01T00:00:00.000Z' });
    expect(text).toBe('id: 7\nevent: task.ready\ndata: {"type":"task.ready","taskId":"a","runId":"r","seq":7,"at":"2026-01-01T00:00:00.000Z"}\n\n');
  });
});
