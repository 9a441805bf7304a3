/**
 * A read-only map built on first use. The parsed files of a load are looked
 * up only to place findings, and a load after a small commit usually has
 * none: indexing 10,000 files on every load would cost more than the rest of
 * the bookkeeping together.
 */
export class LazyMap<K, V> implements ReadonlyMap<K, V> {
  #map?: Map<K, V>;
  #source?: () => Iterable<readonly [K, V]>;

  /** `source` is called once, at the first use of the map, for its entries in order. */
  constructor(source: () => Iterable<readonly [K, V]>) {
    this.#source = source;
  }

  get size(): number {
    return this.#built().size;
  }

  get(key: K): V | undefined {
    return this.#built().get(key);
  }

  has(key: K): boolean {
    return this.#built().has(key);
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    this.#built().forEach((value, key) => callback.call(thisArg, value, key, this));
  }

  entries(): MapIterator<[K, V]> {
    return this.#built().entries();
  }

  keys(): MapIterator<K> {
    return this.#built().keys();
  }

  values(): MapIterator<V> {
    return this.#built().values();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#built()[Symbol.iterator]();
  }

  #built(): Map<K, V> {
    if (!this.#map) {
      this.#map = new Map(this.#source!());
      this.#source = undefined; // let go of what it was built from
    }
    return this.#map;
  }
}
