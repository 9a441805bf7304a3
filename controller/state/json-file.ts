import { readFile } from 'node:fs/promises';
import { ConfigurationError } from '../errors.js';

/**
 * Parses a JSON file the controller wrote: undefined when it does not exist, a
 * ConfigurationError naming the file and `whatToDo` when it is damaged. Never
 * starts from nothing on a damaged file: that would re-apply every group.
 */
export async function readJsonFile(
  path: string,
  whatToDo = 'restore it from a backup or move it away to start afresh',
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigurationError('StateUnreadable', `${path} is not valid JSON; ${whatToDo}`, { cause: err });
  }
}
