/**
 * Watches: `GET <collection>?watch=1` streams one JSON line per event
 * `{"type":"ADDED"|"MODIFIED"|"DELETED"|"ERROR","object":{...}}` (api-concepts
 * "Efficient detection of changes"). Test code only.
 *
 * Without resourceVersion (or with "0") the stream opens with a synthetic ADDED per
 * existing object; with resourceVersion X it replays the changes after X. An X
 * older than the kept history answers one ERROR event with a 410 `Expired` Status
 * and ends. With a label or field selector an object that starts or stops matching
 * is seen as ADDED or DELETED. `timeoutSeconds` ends the stream once the injected
 * clock passes the deadline; the clock is looked at whenever a request arrives or
 * an event is sent (with the default real clock an unref'd timer also ends it).
 */
import type { ServerResponse } from 'node:http';
import { render } from './commit.js';
import type { ResourceDef } from './resources.js';
import { type Matcher, SelectorError, fieldSelector, labelSelector } from './selectors.js';
import { badRequest, expiredStatus } from './status.js';
import type { ObjectStore, StoreEvent } from './store.js';
import type { Reply } from './types.js';

interface OpenWatch {
  res: ServerResponse;
  deadline?: number;
  stop: () => void;
}

/** The open watches of a server. */
export class Watches {
  readonly #open = new Set<OpenWatch>();

  constructor(
    private readonly store: ObjectStore,
    private readonly now: () => number,
    private readonly realTimers: boolean,
  ) {}

  /** How many watches are streaming. */
  get count(): number {
    return this.#open.size;
  }

  /**
   * Starts streaming a watch of `def` in `namespace` (undefined: all) to `res`;
   * answers a Reply instead when the request is bad (nothing written yet).
   */
  start(
    res: ServerResponse,
    target: { def: ResourceDef; version: string; namespace?: string },
    query: URLSearchParams,
  ): Reply | undefined {
    let matches: Matcher;
    try {
      const byLabel = labelSelector(query.get('labelSelector'));
      const byField = fieldSelector(query.get('fieldSelector'));
      matches = (o) => byLabel(o) && byField(o);
    } catch (err) {
      if (err instanceof SelectorError) return badRequest(err.message);
      throw err;
    }
    const rvText = query.get('resourceVersion') ?? '';
    const fromStart = rvText === '' || rvText === '0';
    if (!fromStart && !/^\d+$/.test(rvText)) return badRequest(`invalid resource version: ${rvText}`);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    res.flushHeaders();
    const send = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
    const relevant = (e: StoreEvent) =>
      e.def.group === target.def.group &&
      e.def.plural === target.def.plural &&
      (target.namespace === undefined || e.namespace === target.namespace);
    const deliver = (e: StoreEvent) => {
      if (!relevant(e)) return;
      const type = eventType(e, matches);
      if (type) send(type, render(e.object, target.def, target.version));
    };
    if (fromStart) {
      for (const r of this.store.list(target.def, target.namespace)) {
        if (matches(r.object)) send('ADDED', render(r.object, target.def, target.version));
      }
    } else {
      const history = this.store.since(Number(rvText));
      if (history === 'expired') {
        send('ERROR', expiredStatus(rvText, this.store.oldest));
        res.end();
        return undefined;
      }
      history.forEach(deliver);
    }
    this.#keep(res, deliver, Number(query.get('timeoutSeconds') ?? 0));
    return undefined;
  }

  /** Ends the watches whose `timeoutSeconds` have passed on the clock. */
  tick(): void {
    const now = this.now();
    for (const w of [...this.#open]) if (w.deadline !== undefined && now >= w.deadline) this.#end(w);
  }

  /** Ends every open watch (the server is closing). */
  closeAll(): void {
    for (const w of [...this.#open]) this.#end(w);
  }

  #keep(res: ServerResponse, deliver: (e: StoreEvent) => void, timeoutSeconds: number): void {
    const watch: OpenWatch = { res, stop: () => undefined };
    const unsubscribe = this.store.subscribe((e) => {
      deliver(e);
      this.tick();
    });
    let timer: NodeJS.Timeout | undefined;
    if (timeoutSeconds > 0) {
      watch.deadline = this.now() + timeoutSeconds * 1000;
      if (this.realTimers) timer = setTimeout(() => this.#end(watch), timeoutSeconds * 1000).unref();
    }
    watch.stop = () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      this.#open.delete(watch);
    };
    res.on('close', () => watch.stop());
    this.#open.add(watch);
  }

  #end(watch: OpenWatch): void {
    watch.stop();
    watch.res.end();
  }
}

/** The event type a watcher with selector `matches` sees for `e`, or undefined to skip it. */
function eventType(e: StoreEvent, matches: Matcher): StoreEvent['type'] | undefined {
  const now = matches(e.object);
  if (e.type !== 'MODIFIED') return now ? e.type : undefined;
  const before = e.previous !== undefined && matches(e.previous);
  if (now) return before ? 'MODIFIED' : 'ADDED';
  return before ? 'DELETED' : undefined;
}
