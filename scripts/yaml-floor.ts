/**
 * The floor for `ringmaster validate`: list the .yaml files under DIR/groups
 * and DIR/policies, read each and parse it with the `yaml` package's `parse`,
 * nothing else (no positions kept, no schemas, no rules). Run as a whole
 * process by scripts/bench-validate.ts; prints the number of files parsed.
 *
 *   node dist/scripts/yaml-floor.js DIR
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const FOLDERS = ['groups', 'policies'];

function walk(root: string, rel: string, visit: (path: string) => void): void {
  for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = `${rel}/${entry.name}`;
    if (entry.isDirectory()) walk(root, path, visit);
    else if (entry.isFile() && entry.name.endsWith('.yaml')) visit(path);
  }
}

const root = process.argv[2];
if (root === undefined) {
  process.stderr.write('usage: node dist/scripts/yaml-floor.js DIR\n');
  process.exit(2);
}
let files = 0;
for (const folder of FOLDERS) {
  walk(root, folder, (path) => {
    parse(readFileSync(join(root, path), 'utf8'));
    files++;
  });
}
process.stdout.write(`${files}\n`);
