import { describe, expect, it } from 'vitest';
import { eventually } from '../src/eventually.ts';

describe('eventually', () => {
  it('returns the first successful result', async () => {
    let calls = 0;
    const result = await eventually(
      () => {
        calls += 1;
        if (calls < 3) throw new Error(`attempt ${calls}`);
        return 'done';
      },
      { intervalMs: 1 },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('throws the last failure with the description when time runs out', async () => {
    await expect(
      eventually(
        () => {
          throw new Error('still pending');
        },
        { timeoutMs: 20, intervalMs: 5, description: 'widget ready' },
      ),
    ).rejects.toThrow('widget ready not met within 0.02s: still pending');
  });
});
