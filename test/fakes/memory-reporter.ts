/** A StatusReporter that keeps every status written, in order, in memory. Test code only. */
import type { CommitStatus, RecordedStatus, StatusReporter } from '../../controller/status/reporter.js';

/** Keeps every status written, with the real reporters' contract: no write when nothing changed. */
export class MemoryReporter implements StatusReporter {
  readonly written: (CommitStatus & { commit: string })[] = [];

  async report(commit: string, status: CommitStatus): Promise<boolean> {
    const last = [...this.written].reverse().find((s) => s.commit === commit && s.context === status.context);
    if (last && last.state === status.state && last.description === status.description) return false;
    this.written.push({ commit, ...status });
    return true;
  }

  async list(commit: string): Promise<RecordedStatus[]> {
    return this.written.filter((s) => s.commit === commit).map((s) => ({ ...s, createdAt: '' }));
  }

  async latest(commit: string): Promise<Map<string, RecordedStatus>> {
    return new Map((await this.list(commit)).map((s) => [s.context, s]));
  }
}
