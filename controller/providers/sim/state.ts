/**
 * The simulated world of the sim provider, kept as JSON in one file (for
 * example `<stateDir>/sim.json`): the stacks and traffic of each group, the
 * attempt counters of `times` faults, and the resources a person marked as
 * missing to rehearse a failure. Edit the file only while the controller is
 * stopped: a running provider keeps the world in memory and rewrites the file.
 */
import { readFileSync } from 'node:fs';
import { ConfigurationError, TransientError } from '../../errors.js';
import type { StackColor } from '../../model/naming.js';
import { writeFileAtomic } from '../../state/atomic-file.js';
import { STEPS, type ServiceSpec, type StepName } from '../ports.js';

/** One simulated stack. */
export interface SimStack {
  readonly release: string;
  readonly services: Readonly<Record<string, ServiceSpec>>;
  /** ISO time of the last create or update. */
  readonly updatedAt: string;
}

/** One group's stacks and traffic; the key is `${cluster}/${namespace}`. */
export interface SimGroup {
  /** The colour serving traffic; absent while the group serves nothing. */
  active?: StackColor;
  stacks: Partial<Record<StackColor, SimStack>>;
}

/** Which attempt of one (group, step) the latest call belonged to; see `attemptNumber` in provider.ts. */
export interface AttemptCounter {
  readonly transition: string;
  /** `ctx.attempt` of the latest call counted. */
  readonly attempt: number;
  /** How many distinct attempts of `transition` reached the simulator, the latest included. */
  readonly count: number;
}

/** A secret a person marked as missing: the whole secret when `keys` is absent or empty, else those keys. */
export interface MissingSecret {
  readonly name: string;
  readonly keys?: readonly string[];
}

/** The whole simulated world, as stored. */
export interface SimWorld {
  readonly version: 1;
  readonly groups: Record<string, SimGroup>;
  /** Counters by group name, then step. */
  readonly attempts: Record<string, Partial<Record<StepName, AttemptCounter>>>;
  /** Database instances that do not exist; every other instance a group names does. */
  readonly missingDatabases: readonly string[];
  /** Secrets, or keys of secrets, that do not exist; every other secret a group names does, with its keys. */
  readonly missingSecrets: readonly MissingSecret[];
}

/** The key of a group in `SimWorld.groups`. */
export function groupKey(cluster: string, namespace: string): string {
  return `${cluster}/${namespace}`;
}

/** A world with no stacks, no counters and nothing missing. */
export function emptyWorld(): SimWorld {
  return { version: 1, groups: {}, attempts: {}, missingDatabases: [], missingSecrets: [] };
}

/**
 * Reads the world at `path` synchronously (it runs once, while the providers
 * are built); a missing file is an empty world. Throws ConfigurationError when
 * the file is unreadable, not JSON or not a sim world: it is never reset silently.
 */
export function readWorldSync(path: string): SimWorld {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return emptyWorld();
    throw new ConfigurationError('SimStateUnreadable', `sim state file ${path} cannot be read`, {
      cause: err,
    });
  }
  return parseWorld(path, text);
}

/** Parses the text of a world file; `path` only names it in messages. Throws ConfigurationError. */
export function parseWorld(path: string, text: string): SimWorld {
  const fix = 'fix it, or move it away to start with an empty simulated world';
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigurationError('SimStateUnreadable', `sim state file ${path} is not valid JSON; ${fix}`, {
      cause: err,
    });
  }
  const problem = worldProblem(data);
  if (problem !== undefined) {
    throw new ConfigurationError(
      'SimStateUnreadable',
      `sim state file ${path} is not a sim world: ${problem}; ${fix}`,
    );
  }
  return { ...emptyWorld(), ...(data as Partial<SimWorld>) };
}

/**
 * Writes a world to its file, one write at a time: each write starts after the
 * previous one ended and stores the world as it is when the write starts, so
 * the last write always holds every change made before it. Calls that arrive
 * while a write waits to start share that write (a group commit): a wave of
 * 50 groups changing at once costs one write, not 50.
 */
export class WorldFile {
  #chain: Promise<void> = Promise.resolve();
  /** The write queued behind the current one, not started yet: it will include every change made until it starts. */
  #queued?: Promise<void>;

  /** `write` stores a whole file: `writeFileAtomic` unless a test watches the writes. */
  constructor(
    readonly path: string,
    readonly world: SimWorld,
    private readonly write: (path: string, text: string) => Promise<void> = writeFileAtomic,
  ) {}

  /** Resolves once the world as it is now (or later) is on disk. Throws TransientError when the write fails. */
  persist(): Promise<void> {
    if (this.#queued) return this.#queued;
    const write = this.#chain.then(() => {
      this.#queued = undefined;
      return this.write(this.path, `${JSON.stringify(this.world, null, 2)}\n`);
    });
    // A failed write must not stop the ones queued after it.
    this.#chain = write.catch(() => undefined);
    const queued = write.catch((err: unknown) => {
      throw new TransientError('SimStateWriteFailed', `writing sim state file ${this.path} failed`, {
        cause: err,
      });
    });
    this.#queued = queued;
    return queued;
  }
}

type Check = (value: unknown, at: string) => string | undefined;

const COLORS: readonly unknown[] = ['blue', 'green'];
const WORLD_KEYS = ['version', 'groups', 'attempts', 'missingDatabases', 'missingSecrets'];

const isText: Check = (v, at) => (typeof v === 'string' ? undefined : `${at} must be text`);
const isCount: Check = (v, at) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0
    ? undefined
    : `${at} must be a whole number above 0`;

function record(each: Check, keys?: readonly unknown[]): Check {
  return (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${at} must be an object`;
    for (const [k, item] of Object.entries(v)) {
      if (keys && !keys.includes(k)) return `${at} has unknown key "${k}"`;
      const p = each(item, `${at}.${k}`);
      if (p !== undefined) return p;
    }
    return undefined;
  };
}

function list(each: Check): Check {
  return (v, at) =>
    Array.isArray(v) ? v.map((item, i) => each(item, `${at}[${i}]`)).find((p) => p) : `${at} must be a list`;
}

function shape(fields: Record<string, Check>, optional: readonly string[] = []): Check {
  return (v, at) => {
    const keys = Object.keys(fields);
    const problem = record(() => undefined, keys)(v, at);
    if (problem !== undefined) return problem;
    const obj = v as Record<string, unknown>;
    for (const k of keys) {
      if (obj[k] === undefined && optional.includes(k)) continue;
      const p = fields[k]!(obj[k], `${at}.${k}`);
      if (p !== undefined) return p;
    }
    return undefined;
  };
}

const service = shape({
  image: isText,
  replicas: (v, at) => (v === 0 ? undefined : isCount(v, at)),
  port: isCount,
  healthPath: isText,
});
const stack = shape({ release: isText, services: record(service), updatedAt: isText });
const group = shape(
  {
    active: (v, at) => (COLORS.includes(v) ? undefined : `${at} must be "blue" or "green"`),
    stacks: record(stack, COLORS),
  },
  ['active'],
);
const counter = shape({ transition: isText, attempt: isCount, count: isCount });
const secret = shape({ name: isText, keys: list(isText) }, ['keys']);

/** The first thing that keeps `data` from being a SimWorld, or undefined. */
function worldProblem(data: unknown): string | undefined {
  const top = record(() => undefined, WORLD_KEYS)(data, 'the file');
  if (top !== undefined) return top;
  const w = data as Record<string, unknown>;
  if (w.version !== 1) return 'version must be 1';
  const parts: [string, Check][] = [
    ['groups', record(group)],
    ['attempts', record(record(counter, STEPS))],
    ['missingDatabases', list(isText)],
    ['missingSecrets', list(secret)],
  ];
  for (const [key, check] of parts) {
    const p = w[key] === undefined ? undefined : check(w[key], key);
    if (p !== undefined) return p;
  }
  return undefined;
}
