/**
 * A fake of the MergeEffects port for unit tests of the approval check: answers
 * what the test sets and records what it was asked. Test code only.
 */
import type { MergeComparison, MergeEffects } from '../../controller/github/merge-effect.js';

/** One question put to the fake. */
export interface MergeQuestion {
  readonly commit: string;
  readonly head: string;
  readonly pull: number;
}

/** Answers every comparison with `answer` (default: the commit is what the merge produces). */
export class FakeMergeEffects implements MergeEffects {
  readonly asked: MergeQuestion[] = [];
  answer: MergeComparison = { outcome: 'same' };

  compare(commit: string, head: string, pull: number): Promise<MergeComparison> {
    this.asked.push({ commit, head, pull });
    return Promise.resolve(this.answer);
  }
}
