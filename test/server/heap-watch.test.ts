import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HeapPressure, heapWarning, watchHeap } from '../../controller/server/heap-watch.js';

const MIB = 1048576;
const reading = (usedMiB: number, limitMiB = 100) => ({
  usedBytes: usedMiB * MIB,
  limitBytes: limitMiB * MIB,
});

describe('HeapPressure', () => {
  it('warns once when the heap passes 70% of the limit, again only after it fell below 55%', () => {
    const p = new HeapPressure();
    const answers = [40, 69, 70, 90, 80, 60, 56, 75, 54, 71].map((used) => p.observe(reading(used)));
    expect(answers).toEqual([false, false, true, false, false, false, false, false, false, true]);
  });

  it('never warns without a known limit', () => {
    expect(new HeapPressure().observe({ usedBytes: 10, limitBytes: 0 })).toBe(false);
  });

  it('refuses thresholds that cannot work', () => {
    expect(() => new HeapPressure(0.5, 0.6)).toThrow(/clearAt < warnAt/);
    expect(() => new HeapPressure(1.2, 0.5)).toThrow(RangeError);
  });
});

describe('heapWarning', () => {
  it('gives the figures and a limit of about three times the live heap, in steps of 64 MiB', () => {
    const { fields, message } = heapWarning(reading(300, 384));
    expect(fields).toEqual({ heapUsedMiB: 300, heapLimitMiB: 384 });
    expect(message).toContain('300 MiB of a 384 MiB limit');
    expect(message).toContain('--max-old-space-size=960');
  });
});

describe('watchHeap', () => {
  it('reads the heap after a real full garbage collection and warns through the log', async () => {
    const warned: Array<{ fields: object; message: string }> = [];
    const log = { warn: (fields: object, message: string) => warned.push({ fields, message }) };
    // Thresholds any heap passes, so that the first full collection warns.
    const stop = watchHeap(log as never, new HeapPressure(1e-9, 1e-10));
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      // Until the observer reports the collection, however busy the machine (the test's timeout bounds it).
      while (warned.length === 0) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      stop();
    }
    expect(warned).toHaveLength(1);
    const { heapUsedMiB, heapLimitMiB } = warned[0]!.fields as { heapUsedMiB: number; heapLimitMiB: number };
    expect(heapUsedMiB).toBeGreaterThan(0);
    expect(heapLimitMiB).toBeGreaterThan(heapUsedMiB);
    expect(warned[0]!.message).toMatch(/^Heap after a full garbage collection is \d+ MiB/);
  });
});
