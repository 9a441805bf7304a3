/**
 * RDS's Query protocol for the AWS stand-in (AWS "Query API requests",
 * PROVIDERS.md B1): a form-encoded POST of `Action=<Op>&Version=2014-10-31&...`
 * with lists flattened (`Tags.Tag.1.Key=...`), answered with
 * `<OpResponse><OpResult>...</OpResult><ResponseMetadata><RequestId>` XML, or
 * with `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`
 * and the error's HTTP status. The real answers also carry the API's XML
 * namespace; it is left out here (no AWS host names in this repository) and
 * the SDK's parser does not read it. Test code only.
 */
import { type RdsInstance, type RdsSnapshot, type RdsTag, RdsFault, type RdsWorld, arnOf } from './rds.js';

export const RDS_API_VERSION = '2014-10-31';

/** A parsed RDS request: the action and its parameters (flattened names). */
export interface RdsCall {
  readonly action: string;
  readonly params: URLSearchParams;
}

/** The IAM actions and resource a call needs, for the IAM check. */
export function rdsPermissions(region: string, call: RdsCall): { actions: string[]; resource: string } {
  const p = (name: string) => call.params.get(name) ?? '*';
  switch (call.action) {
    case 'CreateDBSnapshot':
      return {
        actions: ['rds:CreateDBSnapshot', ...(tagsOf(call.params).length ? ['rds:AddTagsToResource'] : [])],
        resource: arnOf(region, 'snapshot', p('DBSnapshotIdentifier')),
      };
    case 'DescribeDBSnapshots':
      return {
        actions: ['rds:DescribeDBSnapshots'],
        resource: arnOf(region, 'snapshot', p('DBSnapshotIdentifier')),
      };
    case 'CreateDBInstanceReadReplica':
      return {
        actions: [
          'rds:CreateDBInstanceReadReplica',
          ...(tagsOf(call.params).length ? ['rds:AddTagsToResource'] : []),
        ],
        resource: arnOf(region, 'db', p('DBInstanceIdentifier')),
      };
    default:
      return { actions: [`rds:${call.action}`], resource: arnOf(region, 'db', p('DBInstanceIdentifier')) };
  }
}

/** Runs an action on the world: the XML inside `<OpResult>`; throws RdsFault for what RDS refuses. */
export function runRds(world: RdsWorld, region: string, call: RdsCall): string {
  const { params } = call;
  const optional = (name: string) => params.get(name) ?? undefined;
  const required = (name: string) => {
    const value = params.get(name);
    if (!value) throw new RdsFault(400, 'MissingParameter', `The request must contain the parameter ${name}`);
    return value;
  };
  if (params.get('Version') !== RDS_API_VERSION)
    throw new RdsFault(
      400,
      'NoSuchVersion',
      `The requested version (${params.get('Version')}) of service AmazonRDS does not exist`,
    );
  switch (call.action) {
    case 'DescribeDBInstances': {
      const instances = world.describeInstances(region, optional('DBInstanceIdentifier'));
      return el('DBInstances', instances.map((i) => instanceXml(region, i)).join(''));
    }
    case 'CreateDBSnapshot': {
      const id = required('DBSnapshotIdentifier');
      const snapshot = world.createSnapshot(region, id, required('DBInstanceIdentifier'), tagsOf(params));
      return snapshotXml(region, snapshot);
    }
    case 'CreateDBInstanceReadReplica': {
      const replica = world.createReplica(
        region,
        required('DBInstanceIdentifier'),
        required('SourceDBInstanceIdentifier'),
        tagsOf(params),
      );
      return instanceXml(region, replica);
    }
    case 'ModifyDBInstance': {
      const multiAz = params.get('MultiAZ');
      if (multiAz === null)
        throw new RdsFault(
          400,
          'InvalidParameterCombination',
          'The stand-in modifies MultiAZ alone; no MultiAZ given.',
        );
      const modified = world.modifyInstance(
        region,
        required('DBInstanceIdentifier'),
        multiAz === 'true',
        params.get('ApplyImmediately') === 'true',
      );
      return instanceXml(region, modified);
    }
    case 'PromoteReadReplica':
      return instanceXml(region, world.promoteReplica(region, required('DBInstanceIdentifier')));
    case 'DeleteDBInstance': {
      const deleted = world.deleteInstance(
        region,
        required('DBInstanceIdentifier'),
        params.get('SkipFinalSnapshot') === 'true',
        optional('FinalDBSnapshotIdentifier'),
      );
      return instanceXml(region, deleted);
    }
    case 'DescribeDBSnapshots': {
      const snapshots = world.describeSnapshots(
        region,
        optional('DBSnapshotIdentifier'),
        optional('DBInstanceIdentifier'),
      );
      return el('DBSnapshots', snapshots.map((s) => snapshotXml(region, s)).join(''));
    }
    default:
      throw new RdsFault(
        400,
        'InvalidAction',
        `The action ${call.action} is not valid for this web service.`,
      );
  }
}

/** The HTTP body of a successful answer. */
export function rdsResponse(action: string, result: string, requestId: string): string {
  return (
    `<${action}Response>` +
    el(`${action}Result`, result) +
    el('ResponseMetadata', el('RequestId', text(requestId))) +
    `</${action}Response>`
  );
}

/** The HTTP body of an error answer. */
export function rdsErrorResponse(fault: RdsFault, requestId: string): string {
  return el(
    'ErrorResponse',
    el('Error', el('Type', fault.type) + el('Code', text(fault.code)) + el('Message', text(fault.message))) +
      el('RequestId', text(requestId)),
  );
}

/** `Tags.Tag.N.Key` / `Tags.Tag.N.Value`, in N order. */
function tagsOf(params: URLSearchParams): RdsTag[] {
  const tags: RdsTag[] = [];
  for (let n = 1; params.has(`Tags.Tag.${n}.Key`); n++)
    tags.push({ Key: params.get(`Tags.Tag.${n}.Key`)!, Value: params.get(`Tags.Tag.${n}.Value`) ?? '' });
  return tags;
}

const PORTS: Record<string, number> = { mysql: 3306, mariadb: 3306, 'aurora-mysql': 3306, aurora: 3306 };

function instanceXml(region: string, i: RdsInstance): string {
  return el(
    'DBInstance',
    el('DBInstanceIdentifier', text(i.id)) +
      el('DBInstanceClass', 'db.t4g.micro') +
      el('Engine', text(i.engine)) +
      el('DBInstanceStatus', text(i.status)) +
      el('MasterUsername', 'ringmaster') +
      el(
        'Endpoint',
        el('Address', text(`${i.id}.stand-in.${region}.invalid`)) +
          el('Port', String(PORTS[i.engine] ?? 5432)),
      ) +
      el('AllocatedStorage', '20') +
      el('InstanceCreateTime', new Date(i.createdAt).toISOString()) +
      el('AvailabilityZone', `${region}a`) +
      el('MultiAZ', String(i.multiAz === true)) +
      (i.pendingMultiAz === undefined
        ? ''
        : el('PendingModifiedValues', el('MultiAZ', String(i.pendingMultiAz)))) +
      el('EngineVersion', text(i.engineVersion)) +
      el('StorageType', 'gp3') +
      el('DBInstanceArn', text(arnOf(region, 'db', i.id))) +
      (i.replicaOf
        ? el('ReadReplicaSourceDBInstanceIdentifier', text(i.replicaOf)) +
          el(
            'StatusInfos',
            el(
              'DBInstanceStatusInfo',
              el('StatusType', 'read replication') +
                el('Normal', 'true') +
                el('Status', i.status === 'available' ? 'replicating' : 'creating'),
            ),
          )
        : '') +
      el(
        'TagList',
        (i.tags ?? []).map((t) => el('Tag', el('Key', text(t.Key)) + el('Value', text(t.Value)))).join(''),
      ),
  );
}

function snapshotXml(region: string, s: RdsSnapshot): string {
  return el(
    'DBSnapshot',
    el('DBSnapshotIdentifier', text(s.id)) +
      el('DBInstanceIdentifier', text(s.instance)) +
      el('SnapshotCreateTime', new Date(s.createdAt).toISOString()) +
      el('Engine', text(s.engine)) +
      el('AllocatedStorage', '20') +
      el('Status', text(s.status)) +
      el('Port', String(PORTS[s.engine] ?? 5432)) +
      el('AvailabilityZone', `${region}a`) +
      el('MasterUsername', 'ringmaster') +
      el('EngineVersion', text(s.engineVersion)) +
      el('SnapshotType', 'manual') +
      el('PercentProgress', String(s.percentProgress)) +
      el('StorageType', 'gp3') +
      el('Encrypted', 'false') +
      el('DBSnapshotArn', text(arnOf(region, 'snapshot', s.id))) +
      el(
        'TagList',
        s.tags.map((t) => el('Tag', el('Key', text(t.Key)) + el('Value', text(t.Value)))).join(''),
      ),
  );
}

function el(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

function text(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
