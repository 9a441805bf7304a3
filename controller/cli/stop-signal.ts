/**
 * The controller's answer to SIGINT (Ctrl-C) and SIGTERM (a service manager,
 * Kubernetes): the first one asks it to stop cleanly; a second one is left to
 * node's default, which ends the process at once (the journal makes that safe
 * too, only less tidy).
 */

/** A stop request that may come. */
export interface StopSignal {
  /** Resolves with the signal's name when the first one arrives. */
  readonly promise: Promise<NodeJS.Signals>;
  /** True once a signal arrived. */
  received(): boolean;
  /** Removes the handlers (when the command ends without a signal). */
  remove(): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Listens for the first SIGINT or SIGTERM and calls `onStop` with it, once. */
export function whenStopSignal(onStop: (signal: NodeJS.Signals) => void): StopSignal {
  let arrived = false;
  let resolve!: (signal: NodeJS.Signals) => void;
  const promise = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const handler = (signal: NodeJS.Signals) => {
    // Only the first: with the handlers gone, a second signal ends the process as node does by default.
    remove();
    arrived = true;
    onStop(signal);
    resolve(signal);
  };
  const remove = () => {
    for (const s of SIGNALS) process.removeListener(s, handler);
  };
  for (const s of SIGNALS) process.once(s, handler);
  return { promise, received: () => arrived, remove };
}
