/**
 * Branches of a fake GitHub repository served from a real git repository, as
 * GitHub serves the repository it hosts: what a test pushes there is a branch
 * the fake knows. Test code only.
 */
import { execFileSync } from 'node:child_process';

/** Looks a branch up in the repository at `gitDir` (a bare repository, or a clone's .git folder). */
export class RemoteBranches extends Map<string, string> {
  constructor(private readonly gitDir: string) {
    super();
  }

  override get(name: string): string | undefined {
    try {
      const args = ['--git-dir', this.gitDir, 'rev-parse', '--verify', '--quiet', `refs/heads/${name}`];
      return execFileSync('git', args, { encoding: 'utf8' }).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  override has(name: string): boolean {
    return this.get(name) !== undefined;
  }
}
