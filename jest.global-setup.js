/**
 * Before any test: builds dist/ when a source under controller/ or scripts/
 * is newer than the last build, so the tests that run the built CLI as a
 * child never run stale code (`npm test` builds first anyway; a direct
 * `npx jest FILE` after an edit does not).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

/** The newest modification time of a file under `dir`, in milliseconds. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export default function buildWhenStale() {
  const built = statSync('dist/.tsbuildinfo', { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (Math.max(newest('controller'), newest('scripts')) <= built) return;
  process.stderr.write('jest: dist/ is older than the sources; building it first (npm run build)\n');
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
