import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The root of the Ringmaster package (the folder holding `schemas/`), found by
 * walking up from this module, so it works from source and from `dist/`.
 * Throws when the package is incomplete.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'schemas', 'group.schema.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(
        'Ringmaster package is incomplete: schemas/ not found above ' + fileURLToPath(import.meta.url),
      );
    dir = parent;
  }
}

/** The version of the Ringmaster package, from its package.json. */
export function packageVersion(): string {
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return version;
}
