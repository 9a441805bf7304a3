/** Whether a long-lived child process (and its pipes) keeps Node from exiting. */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';

/** While `busy` (a request waits for its answer) the child keeps Node alive; an idle child does not. */
export function keepAliveWhile(child: ChildProcessWithoutNullStreams, busy: boolean): void {
  for (const handle of [child, child.stdin as Socket, child.stdout as Socket, child.stderr as Socket]) {
    if (busy) handle.ref();
    else handle.unref();
  }
}
