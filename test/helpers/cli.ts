import { createContext } from '../../controller/main.js';
import { runCli } from '../../controller/cli/program.js';
import type { CliContext } from '../../controller/cli/context.js';

/** What one CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs the real command line in-process with the real context (git, schemas),
 * capturing its output. `env` stands in for the process environment; `now`
 * fixes the clock.
 */
export async function runRingmaster(
  argv: readonly string[],
  options: { env?: Record<string, string>; now?: Date } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const base = createContext({ out: (s) => out.push(s), err: (s) => err.push(s) }, options.env ?? {});
  const ctx: CliContext = options.now ? { ...base, now: () => options.now! } : base;
  const code = await runCli(argv, ctx);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * Runs a controller command (`run`, `plan`, `status`) on the repository in
 * `repo` with the state folder `state`: the sim sped up `speed` times
 * (100,000 unless said), the log in the state folder, the clock at `now`.
 */
export function runController(
  repo: string,
  state: string,
  args: readonly string[],
  now: Date,
  speed = 100_000,
): Promise<CliRun> {
  return runRingmaster(
    [
      ...args,
      '--repo',
      repo,
      '--state',
      state,
      '--sim-speed',
      String(speed),
      '--log-file',
      `${state}/log.json`,
    ],
    { now },
  );
}
