/**
 * Warns before the controller runs out of heap. The controller keeps every
 * group's model, applied state and cross-file indexes in memory (about 9 KB a
 * group), and the recommended way to run it caps the V8 heap
 * (`--max-old-space-size`) so that the process stays inside its memory
 * budget. A cap that fits 10,000 groups does not fit 30,000: when the heap
 * left after a full garbage collection passes `warnAt` of the limit, the log
 * says so, with the figures and what to change, once until it falls back
 * below `clearAt`.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { Logger } from 'pino';

/** The heap in use right after a full collection, and the limit it may not pass. */
export interface HeapReading {
  readonly usedBytes: number;
  readonly limitBytes: number;
}

/**
 * The warning's hysteresis, apart from V8 so it can be tested: `observe`
 * answers true for the first reading at or above `warnAt` of the limit, then
 * false until a reading falls below `clearAt`.
 */
export class HeapPressure {
  #warned = false;

  constructor(
    readonly warnAt = 0.7,
    readonly clearAt = 0.55,
  ) {
    if (!(clearAt > 0 && clearAt < warnAt && warnAt < 1)) {
      throw new RangeError(`heap pressure thresholds must satisfy 0 < clearAt < warnAt < 1`);
    }
  }

  observe(r: HeapReading): boolean {
    if (!(r.limitBytes > 0)) return false;
    const share = r.usedBytes / r.limitBytes;
    if (share < this.clearAt) this.#warned = false;
    if (this.#warned || share < this.warnAt) return false;
    this.#warned = true;
    return true;
  }
}

const MIB = 1048576;

/** The warning for a reading, with what the operator should do. */
export function heapWarning(r: HeapReading): { fields: object; message: string } {
  const used = Math.round(r.usedBytes / MIB);
  const limit = Math.round(r.limitBytes / MIB);
  const suggested = Math.ceil((3 * r.usedBytes) / MIB / 64) * 64;
  return {
    fields: { heapUsedMiB: used, heapLimitMiB: limit },
    message:
      `Heap after a full garbage collection is ${used} MiB of a ${limit} MiB limit; ` +
      `the controller will stop with "heap out of memory" if it keeps growing. ` +
      `Start node with --max-old-space-size=${suggested} (about three times the live heap) and a memory budget to match`,
  };
}

/**
 * Watches full garbage collections of this process and warns through `log`
 * as `HeapPressure` decides. Returns the function that stops watching.
 */
export function watchHeap(log: Pick<Logger, 'warn'>, pressure = new HeapPressure()): () => void {
  const observer = new PerformanceObserver((list) => {
    // A gc entry's detail says which collection it was (Node 16 and later).
    const kinds = list.getEntries().map((e) => (e as { detail?: { kind?: number } }).detail?.kind);
    if (!kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR)) return;
    const { used_heap_size, heap_size_limit } = getHeapStatistics();
    const reading = { usedBytes: used_heap_size, limitBytes: heap_size_limit };
    if (pressure.observe(reading)) {
      const { fields, message } = heapWarning(reading);
      log.warn(fields, message);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
