/**
 * The simulated world of the sim provider, kept as JSON (for example
 * `<stateDir>/sim.json`): the stacks and traffic of each group, the attempt
 * counters of `times` faults, and the resources a person marked as missing to
 * rehearse a failure. Edit the file only while the controller is stopped: a
 * running provider keeps the world in memory and logs its changes beside the
 * file (`sim.json.log`); a controller that was killed replays that log over
 * the file when it starts.
 */
import { ConfigurationError, TransientError } from '../../errors.js';
import type { StackColor } from '../../model/naming.js';
import { DurableMap, type SnapshotCodec } from '../../state/durable-map.js';
import { Entries, jsonChunks } from '../../state/json-chunks.js';
import { STEPS, type StepName } from '../../engine/step-names.js';
import type { ServiceSpec } from '../ports.js';

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
  /** The tenant ids of the group's registry, when written on its own (ensureTenants). */
  tenants?: string[];
  /** Tenants of the registry served from another database than the group's, by id: the instance. */
  databases?: Record<string, string>;
  /** The tenant hosts routed to the active colour (switchTraffic at 100%). */
  hosts?: string[];
  /** The Jobs run for the group, by name (they finish at once). */
  jobs?: string[];
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
  /** Manual database snapshots taken, by id: the instance each is of. */
  readonly snapshots: Record<string, string>;
  /** Read replicas made for tenant moves, by instance: the instance each replicates, and whether it was promoted. */
  readonly replicas: Record<string, SimReplica>;
}

/** A read replica made for a tenant move (see DatabasePort.ensureReplica). */
export interface SimReplica {
  readonly source: string;
  /** Set once promoted: an instance of its own since then. */
  readonly promoted?: boolean;
  /** Set once given a standby in another zone (after promotion, where the policy asks). */
  readonly standby?: boolean;
}

/** The key of a group in `SimWorld.groups`. */
export function groupKey(cluster: string, namespace: string): string {
  return `${cluster}/${namespace}`;
}

/** A world with no stacks, no counters and nothing missing. */
export function emptyWorld(): SimWorld {
  return {
    version: 1,
    groups: {},
    attempts: {},
    missingDatabases: [],
    missingSecrets: [],
    snapshots: {},
    replicas: {},
  };
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

/** What changed in the world: one group's stacks and traffic, one group's attempt counters, one snapshot or one replica. */
export type WorldChange =
  | { readonly group: string }
  | { readonly attempts: string }
  | { readonly snapshot: string }
  | { readonly replica: string };

type WorldValue =
  | SimGroup
  | SimWorld['attempts'][string]
  | readonly string[]
  | readonly MissingSecret[]
  | string
  | SimReplica;

/**
 * The world kept on disk: the file (for example `<stateDir>/sim.json`) plus
 * the log of changes beside it (`sim.json.log`, see DurableMap), so a change to
 * one group appends one line instead of rewriting the world. Changes made
 * while a write is under way share the next one. The controller compacts as it
 * stops, so a stopped controller leaves one plain file to read or edit.
 */
export class WorldFile {
  private constructor(
    readonly path: string,
    readonly world: SimWorld,
    private readonly map: DurableMap<WorldValue>,
  ) {}

  /** Reads the world; a missing file is an empty world. Throws ConfigurationError when it is damaged. */
  static async open(path: string): Promise<WorldFile> {
    let map: DurableMap<WorldValue>;
    try {
      map = await DurableMap.open(path, WORLD_CODEC);
    } catch (err) {
      if (err instanceof ConfigurationError) throw err;
      throw new ConfigurationError('SimStateUnreadable', `sim state file ${path} cannot be read`, {
        cause: err,
      });
    }
    return new WorldFile(path, assemble(map.entries), map);
  }

  /** Resolves once the changed parts of the world, as they are now, are on disk. Throws TransientError when the write fails. */
  async persist(change: WorldChange): Promise<void> {
    const [key, value] =
      'group' in change
        ? [`groups/${change.group}`, this.world.groups[change.group]]
        : 'snapshot' in change
          ? [`snapshots/${change.snapshot}`, this.world.snapshots[change.snapshot]]
          : 'replica' in change
            ? [`replicas/${change.replica}`, this.world.replicas[change.replica]]
            : [`attempts/${change.attempts}`, this.world.attempts[change.attempts]];
    try {
      await this.map.set(key, value);
    } catch (err) {
      throw new TransientError('SimStateWriteFailed', `writing sim state file ${this.path} failed`, {
        cause: err,
      });
    }
  }

  /** Closes the log; with `compact`, first folds it into the file. */
  async close(options: { compact?: boolean } = {}): Promise<void> {
    if (options.compact) await this.map.compact();
    await this.map.close();
  }
}

function assemble(entries: ReadonlyMap<string, WorldValue>): SimWorld {
  const world = emptyWorld();
  for (const [key, value] of entries) {
    const slash = key.indexOf('/');
    const [part, name] = slash < 0 ? [key, ''] : [key.slice(0, slash), key.slice(slash + 1)];
    if (part === 'groups') world.groups[name] = value as SimGroup;
    else if (part === 'attempts') world.attempts[name] = value as SimWorld['attempts'][string];
    else if (part === 'snapshots') world.snapshots[name] = value as string;
    else if (part === 'replicas') world.replicas[name] = value as SimReplica;
    else if (part === 'missingDatabases') (world as { missingDatabases: unknown }).missingDatabases = value;
    else if (part === 'missingSecrets') (world as { missingSecrets: unknown }).missingSecrets = value;
  }
  return world;
}

/** sim.json as people read and edit it: the whole world, indented. */
const WORLD_CODEC: SnapshotCodec<WorldValue> = {
  decode(text, path) {
    const world = text === undefined ? emptyWorld() : parseWorld(path, text);
    const entries = new Map<string, WorldValue>([
      ['missingDatabases', world.missingDatabases],
      ['missingSecrets', world.missingSecrets],
    ]);
    for (const [name, group] of Object.entries(world.groups)) entries.set(`groups/${name}`, group);
    for (const [name, counters] of Object.entries(world.attempts)) entries.set(`attempts/${name}`, counters);
    for (const [id, instance] of Object.entries(world.snapshots)) entries.set(`snapshots/${id}`, instance);
    for (const [id, replica] of Object.entries(world.replicas)) entries.set(`replicas/${id}`, replica);
    return entries;
  },
  encode(entries) {
    const world = assemble(entries);
    return jsonChunks(
      {
        ...world,
        groups: new Entries(Object.entries(world.groups)),
        attempts: new Entries(Object.entries(world.attempts)),
        snapshots: new Entries(Object.entries(world.snapshots)),
        replicas: new Entries(Object.entries(world.replicas)),
      },
      2,
    );
  },
};

type Check = (value: unknown, at: string) => string | undefined;

const COLORS: readonly unknown[] = ['blue', 'green'];
const WORLD_KEYS = [
  'version',
  'groups',
  'attempts',
  'missingDatabases',
  'missingSecrets',
  'snapshots',
  'replicas',
];

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

const service = shape(
  {
    image: isText,
    replicas: (v, at) => (v === 0 ? undefined : isCount(v, at)),
    port: isCount,
    healthPath: isText,
    route: isText,
  },
  ['route'],
);
const stack = shape({ release: isText, services: record(service), updatedAt: isText });
const group = shape(
  {
    active: (v, at) => (COLORS.includes(v) ? undefined : `${at} must be "blue" or "green"`),
    stacks: record(stack, COLORS),
    tenants: list(isText),
    databases: record(isText),
    hosts: list(isText),
    jobs: list(isText),
  },
  ['active', 'tenants', 'databases', 'hosts', 'jobs'],
);
const isTrue: Check = (v, at) => (v === true ? undefined : `${at} must be true when present`);
const replica = shape({ source: isText, promoted: isTrue, standby: isTrue }, ['promoted', 'standby']);
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
    ['snapshots', record(isText)],
    ['replicas', record(replica)],
  ];
  for (const [key, check] of parts) {
    const p = w[key] === undefined ? undefined : check(w[key], key);
    if (p !== undefined) return p;
  }
  return undefined;
}
