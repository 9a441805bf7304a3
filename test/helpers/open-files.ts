/** Counting this process's open file descriptors, where the system lets us (Linux's /proc). */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';

/** `it` where /proc/self/fd exists, `it.skip` elsewhere. */
export const itWithOpenFiles = existsSync('/proc/self/fd') ? it : it.skip;

/** How many file descriptors this process holds open now. */
export async function openFiles(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}
