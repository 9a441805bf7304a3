/**
 * The stand-in's etcd: objects by resource, namespace and name, one global
 * resourceVersion counter bumped by every write, and the event history watches
 * replay from. Test code only.
 */
import type { Owner } from './field-manager.js';
import type { ResourceDef } from './resources.js';
import { type KubeObject, clone } from './types.js';

/** One stored object, its field owners and its resource. */
export interface StoredRecord {
  def: ResourceDef;
  /** Stored with apiVersion `<group>/<preferred version>`; the HTTP layer rewrites it per request. */
  object: KubeObject;
  owners: Owner[];
}

/** A change, as watches see it. `previous` is the object before a MODIFIED. */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  rv: number;
  def: ResourceDef;
  namespace: string;
  object: KubeObject;
  previous?: KubeObject;
}

/** In-memory storage with resourceVersions and a compactable history. */
export class ObjectStore {
  #rv = 0;
  #oldest = 0;
  readonly #records = new Map<string, StoredRecord>();
  #history: StoreEvent[] = [];
  readonly #listeners = new Set<(event: StoreEvent) => void>();

  /** The resourceVersion of the latest write. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** The oldest resourceVersion a watch may start from. */
  get oldest(): number {
    return this.#oldest;
  }

  /** The record of an object, or undefined. */
  get(def: ResourceDef, namespace: string, name: string): StoredRecord | undefined {
    return this.#records.get(keyOf(def, namespace, name));
  }

  /** The records of a resource, in one namespace or all, ordered by namespace and name. */
  list(def: ResourceDef, namespace?: string): StoredRecord[] {
    const prefix = `${def.group}/${def.plural}/${namespace === undefined ? '' : `${namespace}/`}`;
    return [...this.#records]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, record]) => record);
  }

  /**
   * Stores `object` (its metadata.namespace and name set) with the next
   * resourceVersion, records the event and tells the listeners; returns the record.
   */
  write(def: ResourceDef, object: KubeObject, owners: Owner[]): StoredRecord {
    const key = keyOf(def, object.metadata.namespace, object.metadata.name);
    const previous = this.#records.get(key);
    object.metadata.resourceVersion = String(++this.#rv);
    const record: StoredRecord = { def, object, owners };
    this.#records.set(key, record);
    this.#emit({
      type: previous ? 'MODIFIED' : 'ADDED',
      rv: this.#rv,
      def,
      namespace: object.metadata.namespace,
      object: clone(object),
      ...(previous ? { previous: clone(previous.object) } : {}),
    });
    return record;
  }

  /** Removes an object; the returned record carries the deletion's resourceVersion. */
  delete(def: ResourceDef, namespace: string, name: string): StoredRecord | undefined {
    const key = keyOf(def, namespace, name);
    const record = this.#records.get(key);
    if (!record) return undefined;
    this.#records.delete(key);
    record.object.metadata.resourceVersion = String(++this.#rv);
    this.#emit({ type: 'DELETED', rv: this.#rv, def, namespace, object: clone(record.object) });
    return record;
  }

  /** The events after resourceVersion `rv`, or 'expired' when history before it was compacted away. */
  since(rv: number): StoreEvent[] | 'expired' {
    if (rv < this.#oldest) return 'expired';
    return this.#history.filter((e) => e.rv > rv);
  }

  /** Forgets the history up to now: watches from an older resourceVersion expire. */
  compact(): void {
    this.#history = [];
    this.#oldest = this.#rv;
  }

  /** Calls `listener` on every event until the returned function is called. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: StoreEvent): void {
    this.#history.push(event);
    for (const listener of [...this.#listeners]) listener(event);
  }
}

function keyOf(def: ResourceDef, namespace: string, name: string): string {
  return `${def.group}/${def.plural}/${namespace}/${name}`;
}
