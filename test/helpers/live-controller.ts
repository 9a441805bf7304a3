/**
 * What the LiveController tests share: the fixture repository with the state
 * folder's stores, engine parts on fake providers whose time passes only when
 * waited for, and a health check held where a test wants to act meanwhile.
 */
import { pino } from 'pino';
import type { EngineParts } from '../../controller/engine/run-transition.js';
import type { Clock } from '../../controller/loop/clock.js';
import type { Providers } from '../../controller/providers/ports.js';
import { FileStateStore } from '../../controller/state/file-store.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import { type FixtureRepo, createFixtureRepo } from './constellation.js';
import { removeDir } from './git.js';

/** The fixture repository and the stores of its `.ringmaster` state folder; `close` removes it all. */
export interface LiveFixture {
  readonly repo: FixtureRepo;
  readonly state: FileStateStore;
  readonly journal: FileJournalStore;
  close(): Promise<void>;
}

export async function openLiveFixture(): Promise<LiveFixture> {
  const repo = await createFixtureRepo();
  const state = new FileStateStore(`${repo.dir}/.ringmaster`);
  const journal = new FileJournalStore(`${repo.dir}/.ringmaster/journal`);
  return {
    repo,
    state,
    journal,
    async close() {
      await state.close();
      await journal.close();
      await removeDir(repo.dir);
    },
  };
}

/** Engine parts on `providers`, a health check a minute, no retries, no log. */
export function instantEngine(providers: Providers, journal: FileJournalStore, clock: Clock): EngineParts {
  return {
    providers,
    journal,
    now: () => clock.now(),
    sleep: (ms) => clock.sleep(ms),
    healthIntervalMs: 60_000,
    retry: { retries: 0, minTimeoutMs: 0, maxTimeoutMs: 0 },
    log: pino({ level: 'silent' }),
  };
}

/** A health check held once armed: `reached` resolves when it starts, and it returns at `release`. */
export interface HeldCheck {
  /** The next check of the group at the step is held. */
  arm(): void;
  readonly reached: Promise<void>;
  release(): void;
}

/** Holds the next health check of `group` at `step` after `arm()`, as a slow health query would be. */
export function holdHealthCheck(providers: Providers, group: string, step: string): HeldCheck {
  const check = providers.health.check.bind(providers.health);
  let armed = false;
  let reached!: () => void;
  let release: (() => void) | undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held: HeldCheck = {
    arm: () => void (armed = true),
    reached: new Promise<void>((resolve) => (reached = resolve)),
    release: () => release!(),
  };
  providers.health.check = async (ctx, ...rest) => {
    if (armed && ctx.group === group && ctx.step === step) {
      armed = false;
      reached();
      await released;
    }
    return check(ctx, ...rest);
  };
  return held;
}
