/**
 * A local stand-in for the two AWS services the controller calls, RDS and
 * Secrets Manager, for tests that drive the real AWS SDK clients: node:http on
 * 127.0.0.1, one server for both. A request is Secrets Manager's when its
 * `X-Amz-Target` is `secretsmanager.<Op>` (JSON 1.1, secrets.ts), RDS's when
 * its form body has an `Action` (Query protocol, rds-wire.ts). So the SDK's
 * own serialisers, XML and JSON parsers, error-code-to-class mapping and
 * retries all run. Test code only: production code must never import it.
 *
 * Usage: `const aws = await startAwsStandIn();`, then clients with
 * `endpoint: aws.url` and TEST_CREDENTIALS (test-clients.ts builds them); seed
 * with `aws.rds.putInstance(...)`, `aws.secrets.putSecret(...)`; look with
 * `aws.requests` and `aws.usedActions()`; `await aws.close()`.
 *
 * Per request, in AWS's order: authentication (front-door.ts: the SigV4
 * `Authorization` header must name a known access key and the right service,
 * and its credential scope gives the region; the signature itself is not
 * checked), then IAM (iam.ts: by default exactly the actions of
 * deploy/iam-policy.json), then any fault a test asked for, then the
 * operation (rds.ts, secrets.ts). Every request to either service is logged,
 * refused ones too.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Iam, POLICY_ACTIONS, TEST_CREDENTIALS, deniedMessage } from './iam.js';
import {
  type AwsFaultKind,
  type AwsService,
  FAULTS,
  JSON_1_1,
  type Refusal,
  authenticate,
  parseCall,
  readBody,
  send,
} from './front-door.js';
import { RdsFault, RdsWorld } from './rds.js';
import { rdsErrorResponse, rdsPermissions, rdsResponse, runRds } from './rds-wire.js';
import { SecretsFault, SecretsWorld } from './secrets.js';

export type { AwsFaultKind, AwsService } from './front-door.js';
export type { InstanceSeed, RdsInstance, RdsSnapshot, RdsTag } from './rds.js';
export type { SecretValue } from './secrets.js';
export { POLICY_ACTIONS, TEST_CREDENTIALS } from './iam.js';

/** One request as the stand-in saw it. */
export interface AwsRequest {
  readonly service: AwsService;
  /** The operation, e.g. `DescribeDBInstances`. */
  readonly action: string;
  /** From the credential scope; empty when the request was not signed. */
  readonly region: string;
  /** The IAM actions it needed. */
  readonly iamActions: readonly string[];
  readonly status: number;
  /** The wire error code of a refused request. */
  readonly error?: string;
}

/** Options of `startAwsStandIn`; every one has a default. */
export interface AwsStandInOptions {
  /** IAM actions the caller is allowed (wildcards as IAM); default those of deploy/iam-policy.json. */
  allowedActions?: readonly string[];
  /** Access key ids AWS knows; default TEST_CREDENTIALS' only. */
  accessKeyIds?: readonly string[];
  /** Describe reads of a snapshot being made until it is available; default 2. */
  snapshotReadsToAvailable?: number;
  /** Clock for timestamps in answers, epoch milliseconds; default Date.now. Nothing progresses by time. */
  now?: () => number;
}

interface ActionControls {
  /** Makes the next `count` (default 1) calls of `action` fail with `fault`, after authentication and IAM. */
  failNext(action: string, fault: AwsFaultKind, count?: number): void;
  /**
   * Runs `change` just before the next call of `action` is carried out (after
   * authentication, IAM and faults): someone else's change landing between a
   * caller's read and its write, e.g. a snapshot made between a Describe and a Create.
   */
  beforeNext(action: string, change: () => void): void;
}

/** What a test may do to RDS (identifiers regardless of case; state reads do not count as reads). */
export type RdsControls = ActionControls &
  Pick<
    RdsWorld,
    | 'putInstance'
    | 'setInstance'
    | 'removeInstance'
    | 'instance'
    | 'putSnapshot'
    | 'setSnapshotStatus'
    | 'snapshot'
    | 'snapshots'
  >;

/** What a test may do to Secrets Manager. */
export type SecretsControls = ActionControls & Pick<SecretsWorld, 'putSecret' | 'removeSecret'>;

/** A running stand-in. */
export interface AwsStandIn {
  /** `http://127.0.0.1:PORT`: the `endpoint` of both clients. */
  readonly url: string;
  readonly rds: RdsControls;
  readonly secrets: SecretsControls;
  /** Every request, in order. */
  readonly requests: readonly AwsRequest[];
  /** IAM actions of allowed requests, with how many requests needed each. */
  usedActions(): ReadonlyMap<string, number>;
  /** Stops listening (once; later calls answer the same promise). */
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1 with an ephemeral port; resolves once listening. */
export async function startAwsStandIn(options: AwsStandInOptions = {}): Promise<AwsStandIn> {
  const now = options.now ?? Date.now;
  const rds = new RdsWorld({ snapshotReadsToAvailable: options.snapshotReadsToAvailable ?? 2, now });
  const secrets = new SecretsWorld(now);
  const iam = new Iam(options.allowedActions ?? POLICY_ACTIONS);
  const keys = new Set(options.accessKeyIds ?? [TEST_CREDENTIALS.accessKeyId]);
  const requests: AwsRequest[] = [];
  const faults = new Map<string, { fault: AwsFaultKind; left: number }[]>();
  const failNext =
    (service: AwsService) =>
    (action: string, fault: AwsFaultKind, count = 1) => {
      const list = faults.get(`${service}:${action}`) ?? [];
      faults.set(`${service}:${action}`, [...list, { fault, left: count }]);
    };
  const hooks = new Map<string, (() => void)[]>();
  const beforeNext = (service: AwsService) => (action: string, change: () => void) => {
    hooks.set(`${service}:${action}`, [...(hooks.get(`${service}:${action}`) ?? []), change]);
  };
  const takeFault = (service: AwsService, action: string): Refusal | undefined => {
    const next = faults.get(`${service}:${action}`)?.find((f) => f.left > 0);
    if (!next) return undefined;
    next.left--;
    return FAULTS[service][next.fault]();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const call = parseCall(req, body);
    if (!call)
      return send(res, 400, 'text/plain', 'AWS stand-in: neither an RDS nor a Secrets Manager request');
    const { service, action } = call;
    const auth = authenticate(req.headers.authorization, service, keys);
    const region = 'region' in auth ? auth.region : '';
    const needs =
      service === 'rds' ? rdsPermissions(region, call.rds) : secrets.permissions(region, action, call.json);
    const requestId = randomUUID();
    const answer = (status: number, contentType: string, text: string, error?: string) => {
      requests.push({ service, action, region, iamActions: needs.actions, status, ...(error && { error }) });
      send(res, status, contentType, text, requestId);
    };
    const refuse = (refusal: Refusal) =>
      refusal instanceof RdsFault
        ? answer(refusal.status, 'text/xml', rdsErrorResponse(refusal, requestId), refusal.code)
        : answer(
            refusal.status,
            JSON_1_1,
            JSON.stringify({ __type: refusal.type, Message: refusal.message }),
            refusal.type,
          );
    if ('refusal' in auth) return refuse(auth.refusal);
    const refused = iam.refused(needs.actions);
    if (refused !== undefined)
      return refuse(
        service === 'rds'
          ? new RdsFault(403, 'AccessDenied', deniedMessage(refused, needs.resource))
          : new SecretsFault(400, 'AccessDeniedException', deniedMessage(refused, needs.resource)),
      );
    const fault = takeFault(service, action);
    if (fault) return refuse(fault);
    hooks.get(`${service}:${action}`)?.shift()?.();
    try {
      if (service === 'rds')
        return answer(200, 'text/xml', rdsResponse(action, runRds(rds, region, call.rds), requestId));
      return answer(200, JSON_1_1, JSON.stringify(secrets.run(region, action, call.json)));
    } catch (err) {
      if (err instanceof RdsFault || err instanceof SecretsFault) return refuse(err);
      throw err;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rds: {
      failNext: failNext('rds'),
      beforeNext: beforeNext('rds'),
      putInstance: (region, seed) => rds.putInstance(region, seed),
      setInstance: (region, id, change) => rds.setInstance(region, id, change),
      removeInstance: (region, id) => rds.removeInstance(region, id),
      instance: (region, id) => rds.instance(region, id),
      putSnapshot: (region, seed) => rds.putSnapshot(region, seed),
      setSnapshotStatus: (region, id, status) => rds.setSnapshotStatus(region, id, status),
      snapshot: (region, id) => rds.snapshot(region, id),
      snapshots: (region) => rds.snapshots(region),
    },
    secrets: {
      failNext: failNext('secretsmanager'),
      beforeNext: beforeNext('secretsmanager'),
      putSecret: (region, name, value) => secrets.putSecret(region, name, value),
      removeSecret: (region, name) => secrets.removeSecret(region, name),
    },
    requests,
    usedActions: () => iam.used(),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
      return closing;
    },
  };
}
