import { ConfigurationError } from '../errors.js';
import { readStateText } from './state-file.js';

/**
 * Parses a JSON file the controller wrote: undefined when it does not exist, a
 * ConfigurationError naming the file and `whatToDo` when it is damaged, and
 * one naming the file and the system's code when it exists but cannot be read
 * (a folder in its place, no permission). Never starts from nothing on a
 * damaged or unreadable file: that would re-apply every group.
 */
export async function readJsonFile(
  path: string,
  whatToDo = 'restore it from a backup or move it away to start afresh',
): Promise<unknown> {
  const text = await readStateText(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigurationError('StateUnreadable', `${path} is not valid JSON; ${whatToDo}`, { cause: err });
  }
}
