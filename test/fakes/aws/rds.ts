/**
 * The RDS world of the AWS stand-in: DB instances and manual snapshots per
 * region, and the three operations the controller uses, with RDS's rules
 * (API Reference of DescribeDBInstances, CreateDBSnapshot,
 * DescribeDBSnapshots, and for tenant moves CreateDBInstanceReadReplica,
 * PromoteReadReplica, DeleteDBInstance, ModifyDBInstance with MultiAZ).
 * Wire-independent: rds-wire.ts speaks the Query protocol over these. Test
 * code only.
 *
 * Rules kept: identifiers are stored in lower case and matched regardless of
 * case; a missing instance is DBInstanceNotFound (404), a missing snapshot
 * DBSnapshotNotFound (404), never an empty list; CreateDBSnapshot checks the
 * identifier (1-255 letters, digits and hyphens, a letter first, no two
 * hyphens in a row, no hyphen last: InvalidParameterValue), refuses an id in
 * use (DBSnapshotAlreadyExists) and an instance not `available`
 * (InvalidDBInstanceState), and checks tags (key 1-128 and value 0-256
 * characters, no `aws:` key prefix). While a snapshot of an available
 * instance is being made, the instance reads `backing-up`, as RDS shows it.
 * A snapshot goes `creating` -> `available` after `snapshotReadsToAvailable`
 * reads of it (each Describe that returns it is one), never by time.
 */
import { ACCOUNT_ID } from './iam.js';

/** An error RDS answers with: HTTP status, wire code and message. */
export class RdsFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

export interface RdsTag {
  readonly Key: string;
  readonly Value: string;
}

/** A DB instance as the stand-in keeps it. */
export interface RdsInstance {
  readonly id: string;
  readonly engine: string;
  readonly engineVersion: string;
  /** The state set by a test; reads show `backing-up` over `available` while a snapshot is made. */
  readonly status: string;
  readonly createdAt: number;
  /** For a read replica: the instance it replicates. */
  readonly replicaOf?: string;
  readonly tags?: readonly RdsTag[];
  /** Reads of it while `creating` or `modifying` (a replica made, or promoted). */
  readonly reads?: number;
  /** A Multi-AZ deployment: a standby in another zone. */
  readonly multiAz?: boolean;
  /** Multi-AZ asked for and not applied yet (PendingModifiedValues.MultiAZ). */
  readonly pendingMultiAz?: boolean;
}

/** A manual DB snapshot as the stand-in keeps it. */
export interface RdsSnapshot {
  readonly id: string;
  readonly instance: string;
  readonly engine: string;
  readonly engineVersion: string;
  readonly status: string;
  readonly percentProgress: number;
  readonly tags: readonly RdsTag[];
  readonly createdAt: number;
  /** Reads of it while `creating`. */
  readonly reads: number;
}

/** What a test may set on an instance. */
export interface InstanceSeed {
  readonly id: string;
  /** Default `postgres`. */
  readonly engine?: string;
  /** Default `available`. */
  readonly status?: string;
  readonly engineVersion?: string;
}

const DEFAULT_VERSIONS: Record<string, string> = { postgres: '16.4', mysql: '8.0.39', mariadb: '10.11.9' };

export const arnOf = (region: string, kind: 'db' | 'snapshot', id: string) =>
  `arn:aws:rds:${region}:${ACCOUNT_ID}:${kind}:${id.toLowerCase()}`;

/** Instances and snapshots of every region, and the operations on them. */
export class RdsWorld {
  readonly #instances = new Map<string, RdsInstance>();
  readonly #snapshots = new Map<string, RdsSnapshot>();

  constructor(
    private readonly settings: { readonly snapshotReadsToAvailable: number; readonly now: () => number },
  ) {}

  /** Creates or replaces an instance. */
  putInstance(region: string, seed: InstanceSeed): RdsInstance {
    const engine = seed.engine ?? 'postgres';
    const instance: RdsInstance = {
      id: seed.id.toLowerCase(),
      engine,
      engineVersion: seed.engineVersion ?? DEFAULT_VERSIONS[engine] ?? '1.0',
      status: seed.status ?? 'available',
      createdAt: this.settings.now(),
    };
    this.#instances.set(key(region, seed.id), instance);
    return instance;
  }

  /** Changes an instance's state or engine; throws for a missing one. */
  setInstance(region: string, id: string, change: { status?: string; engine?: string }): void {
    const found = this.#instances.get(key(region, id));
    if (!found) throw new Error(`RDS stand-in: no instance ${id} in ${region}`);
    this.#instances.set(key(region, id), { ...found, ...change });
  }

  removeInstance(region: string, id: string): void {
    this.#instances.delete(key(region, id));
  }

  /** The instance as a read would show it, or undefined. Does not count as a read. */
  instance(region: string, id: string): RdsInstance | undefined {
    const found = this.#instances.get(key(region, id));
    return found && { ...found, status: this.#shownStatus(region, found) };
  }

  /** Creates or replaces a snapshot (of any instance, existing or not). */
  putSnapshot(
    region: string,
    seed: { id: string; instance: string; status?: string; percentProgress?: number; engine?: string },
  ): RdsSnapshot {
    const snapshot: RdsSnapshot = {
      id: seed.id.toLowerCase(),
      instance: seed.instance.toLowerCase(),
      engine: seed.engine ?? 'postgres',
      engineVersion: DEFAULT_VERSIONS[seed.engine ?? 'postgres'] ?? '1.0',
      status: seed.status ?? 'available',
      percentProgress: seed.percentProgress ?? (seed.status === 'creating' ? 0 : 100),
      tags: [],
      createdAt: this.settings.now(),
      reads: 0,
    };
    this.#snapshots.set(key(region, seed.id), snapshot);
    return snapshot;
  }

  /** Sets a snapshot's state (e.g. `failed`); throws for a missing one. */
  setSnapshotStatus(region: string, id: string, status: string): void {
    const found = this.#snapshots.get(key(region, id));
    if (!found) throw new Error(`RDS stand-in: no snapshot ${id} in ${region}`);
    this.#snapshots.set(key(region, id), { ...found, status });
  }

  /** The snapshot, or undefined. Does not count as a read. */
  snapshot(region: string, id: string): RdsSnapshot | undefined {
    return this.#snapshots.get(key(region, id));
  }

  /** Snapshots of a region. Does not count as a read. */
  snapshots(region: string): RdsSnapshot[] {
    return [...this.#snapshots.entries()].filter(([k]) => k.startsWith(`${region}/`)).map(([, s]) => s);
  }

  /** DescribeDBInstances: the one instance named, or every instance of the region; each one returned is a read. */
  describeInstances(region: string, id: string | undefined): RdsInstance[] {
    if (id === undefined)
      return [...this.#instances.keys()]
        .filter((k) => k.startsWith(`${region}/`))
        .map((k) => this.#readInstance(region, k.slice(region.length + 1)));
    if (!this.#instances.has(key(region, id)))
      throw new RdsFault(404, 'DBInstanceNotFound', `DBInstance ${id} not found.`);
    return [this.#readInstance(region, id)];
  }

  /**
   * CreateDBInstanceReadReplica (same region): the replica reads `creating`
   * for `snapshotReadsToAvailable` reads, then `available` and replicating.
   */
  createReplica(region: string, id: string, sourceId: string, tags: readonly RdsTag[]): RdsInstance {
    checkIdentifier('DBInstanceIdentifier', id, 63);
    tags.forEach(checkTag);
    if (this.#instances.has(key(region, id)))
      throw new RdsFault(400, 'DBInstanceAlreadyExists', 'DB instance already exists');
    const source = this.instance(region, sourceId);
    if (!source) throw new RdsFault(404, 'DBInstanceNotFound', `DBInstance ${sourceId} not found.`);
    if (source.status !== 'available')
      throw new RdsFault(
        400,
        'InvalidDBInstanceState',
        `DB Instance ${source.id} is not in an available state.`,
      );
    const replica: RdsInstance = {
      ...this.putInstance(region, { id, engine: source.engine, status: 'creating' }),
      engineVersion: source.engineVersion,
      replicaOf: source.id,
      tags,
      reads: 0,
    };
    this.#instances.set(key(region, id), replica);
    return replica;
  }

  /** PromoteReadReplica: the instance reads `modifying` for as many reads, then `available` on its own. */
  promoteReplica(region: string, id: string): RdsInstance {
    const found = this.instance(region, id);
    if (!found) throw new RdsFault(404, 'DBInstanceNotFound', `DBInstance ${id} not found.`);
    if (!found.replicaOf)
      throw new RdsFault(400, 'InvalidDBInstanceState', 'DB Instance is not a read replica.');
    if (found.status !== 'available')
      throw new RdsFault(
        400,
        'InvalidDBInstanceState',
        `DB Instance ${found.id} is not in an available state.`,
      );
    const promoted: RdsInstance = { ...found, status: 'modifying', reads: 0 };
    delete (promoted as { replicaOf?: string }).replicaOf;
    this.#instances.set(key(region, id), promoted);
    return promoted;
  }

  /**
   * DeleteDBInstance: gone at once. Without SkipFinalSnapshot a final
   * snapshot id is required, and a read replica takes none
   * (InvalidParameterCombination either way).
   */
  deleteInstance(
    region: string,
    id: string,
    skipFinalSnapshot: boolean,
    finalSnapshot?: string,
  ): RdsInstance {
    const found = this.instance(region, id);
    if (!found) throw new RdsFault(404, 'DBInstanceNotFound', `DBInstance ${id} not found.`);
    if (!skipFinalSnapshot && !finalSnapshot)
      throw new RdsFault(
        400,
        'InvalidParameterCombination',
        'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.',
      );
    if (found.replicaOf && finalSnapshot)
      throw new RdsFault(
        400,
        'InvalidParameterCombination',
        'FinalDBSnapshotIdentifier can not be specified when deleting a replica instance',
      );
    if (found.status === 'creating' || found.status === 'modifying')
      throw new RdsFault(400, 'InvalidDBInstanceState', `DB Instance ${found.id} is ${found.status}.`);
    this.#instances.delete(key(region, id));
    return { ...found, status: 'deleting' };
  }

  /**
   * ModifyDBInstance with MultiAZ: applied at once with ApplyImmediately (the
   * instance reads `modifying` for as many reads, the change pending, then
   * `available` and Multi-AZ), else left pending for the maintenance window
   * (which never comes here). Only an `available` instance may be modified.
   */
  modifyInstance(region: string, id: string, multiAz: boolean, applyImmediately: boolean): RdsInstance {
    const found = this.instance(region, id);
    if (!found) throw new RdsFault(404, 'DBInstanceNotFound', `DBInstance ${id} not found.`);
    if (found.status !== 'available')
      throw new RdsFault(
        400,
        'InvalidDBInstanceState',
        `DB Instance ${found.id} is not in an available state.`,
      );
    if (found.multiAz === multiAz) return found;
    const modified: RdsInstance = applyImmediately
      ? { ...found, status: 'modifying', reads: 0, pendingMultiAz: multiAz }
      : { ...found, pendingMultiAz: multiAz };
    this.#instances.set(key(region, id), modified);
    return modified;
  }

  /** A read of an instance: one being made or promoted advances a step. */
  #readInstance(region: string, id: string): RdsInstance {
    const found = this.#instances.get(key(region, id))!;
    if (found.status === 'creating' || found.status === 'modifying') {
      const reads = (found.reads ?? 0) + 1;
      const applied =
        found.pendingMultiAz === undefined
          ? {}
          : { multiAz: found.pendingMultiAz, pendingMultiAz: undefined };
      const next =
        reads >= this.settings.snapshotReadsToAvailable
          ? { ...found, reads, status: 'available', ...applied }
          : { ...found, reads };
      this.#instances.set(key(region, id), next);
    }
    return this.instance(region, id)!;
  }

  /** CreateDBSnapshot. */
  createSnapshot(region: string, id: string, instanceId: string, tags: readonly RdsTag[]): RdsSnapshot {
    checkSnapshotId(id);
    tags.forEach(checkTag);
    const instance = this.instance(region, instanceId);
    if (!instance) throw new RdsFault(404, 'DBInstanceNotFound', `DBInstance ${instanceId} not found.`);
    if (this.#snapshots.has(key(region, id)))
      throw new RdsFault(
        400,
        'DBSnapshotAlreadyExists',
        `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
      );
    if (instance.status !== 'available')
      throw new RdsFault(
        400,
        'InvalidDBInstanceState',
        `Cannot create a snapshot because the database instance ${instance.id} is not currently in the available state.`,
      );
    const snapshot: RdsSnapshot = {
      ...this.putSnapshot(region, { id, instance: instance.id, status: 'creating', engine: instance.engine }),
      engineVersion: instance.engineVersion,
      tags,
    };
    this.#snapshots.set(key(region, id), snapshot);
    return snapshot;
  }

  /** DescribeDBSnapshots: the one snapshot named, else those of an instance, else all; each one returned is a read. */
  describeSnapshots(region: string, id: string | undefined, instanceId: string | undefined): RdsSnapshot[] {
    if (id !== undefined && !this.#snapshots.has(key(region, id)))
      throw new RdsFault(404, 'DBSnapshotNotFound', `DBSnapshot ${id} not found.`);
    const chosen = this.snapshots(region).filter(
      (s) =>
        (id === undefined || s.id === id.toLowerCase()) &&
        (instanceId === undefined || s.instance === instanceId.toLowerCase()),
    );
    return chosen.map((s) => this.#read(region, s));
  }

  /** A read of a snapshot being made: it advances one step. */
  #read(region: string, s: RdsSnapshot): RdsSnapshot {
    if (s.status !== 'creating') return s;
    const reads = s.reads + 1;
    const total = this.settings.snapshotReadsToAvailable;
    const next: RdsSnapshot =
      reads >= total
        ? { ...s, reads, status: 'available', percentProgress: 100 }
        : { ...s, reads, percentProgress: Math.floor((100 * reads) / total) };
    this.#snapshots.set(key(region, s.id), next);
    return next;
  }

  #shownStatus(region: string, instance: RdsInstance): string {
    const snapshotting = this.snapshots(region).some(
      (s) => s.instance === instance.id && s.status === 'creating',
    );
    return instance.status === 'available' && snapshotting ? 'backing-up' : instance.status;
  }
}

function key(region: string, id: string): string {
  return `${region}/${id.toLowerCase()}`;
}

function checkSnapshotId(id: string): void {
  checkIdentifier('DBSnapshotIdentifier', id, 255);
}

function checkIdentifier(parameter: string, id: string, max: number): void {
  if (!new RegExp(`^[A-Za-z][A-Za-z0-9-]{0,${max - 1}}$`).test(id) || id.includes('--') || id.endsWith('-'))
    throw new RdsFault(
      400,
      'InvalidParameterValue',
      `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; ` +
        'must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.',
    );
}

function checkTag(tag: RdsTag): void {
  const bad = (why: string) => new RdsFault(400, 'InvalidParameterValue', `Invalid tag ${tag.Key}: ${why}`);
  if (tag.Key.length < 1 || tag.Key.length > 128) throw bad('a tag key must be 1 to 128 characters');
  if (tag.Value.length > 256) throw bad('a tag value must be at most 256 characters');
  if (/^aws:/i.test(tag.Key)) throw bad('the aws: prefix is reserved');
  if (!/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(tag.Key + tag.Value))
    throw bad('tags may hold only letters, digits, spaces and _ . : / = + - @');
}
