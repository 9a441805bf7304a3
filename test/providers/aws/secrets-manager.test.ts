/**
 * The Secrets Manager adapter against the AWS stand-in, through the real SDK
 * client and under the controller's IAM policy: the keys of a secret are
 * checked, and its value never shows in anything the adapter throws.
 */
import { inspect } from 'node:util';
import { ConfigurationError, PermanentError, TransientError } from '../../../controller/errors.js';
import { awsSecrets } from '../../../controller/providers/aws/secrets-manager.js';
import type { CallContext, SecretsPort } from '../../../controller/providers/ports.js';
import type { SecretRef } from '../../../controller/model/types.js';
import {
  type AwsStandIn,
  type AwsStandInOptions,
  POLICY_ACTIONS,
  type SecretValue,
  startAwsStandIn,
} from '../../fakes/aws/server.js';
import { type TestClientOptions, standInClients } from '../../fakes/aws/test-clients.js';

const ctx: CallContext = {
  constellation: 'shop',
  group: 'acme',
  transition: 't1',
  step: 'validate',
  attempt: 1,
};
const EU = 'eu-west-1';
const US = 'us-east-1';
const CANARY = 'canary-s3cr3t-7f1e';
const SECRET: SecretRef = { name: 'prod/acme/db', keys: ['username', 'password'] };
const README = `(see README "Running against AWS")`;

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { reason?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { reason?: string };
  }
  throw new Error('expected a rejection');
}

/** Fails unless the canary is absent from the error: its JSON, message, stack, every property and cause. */
function expectNoCanary(err: Error): void {
  const seen: string[] = [JSON.stringify(err), inspect(err, { depth: Infinity, showHidden: true })];
  for (let e: unknown = err; e instanceof Error; e = e.cause) seen.push(e.message, String(e.stack));
  for (const text of seen) expect(text).not.toContain(CANARY);
}

describe('the Secrets Manager adapter', () => {
  let aws: AwsStandIn;
  let clients: ReturnType<typeof standInClients>;
  let secrets: SecretsPort;
  /** A stand-in holding prod/acme/db = `value` in eu-west-1, and the adapter reaching it. */
  const start = async (
    value: SecretValue | undefined,
    options: AwsStandInOptions = {},
    client: TestClientOptions = {},
  ) => {
    aws = await startAwsStandIn(options);
    if (value !== undefined) aws.secrets.putSecret(EU, SECRET.name, value);
    clients = standInClients(aws.url, client);
    secrets = awsSecrets(clients.secrets, EU);
  };
  afterEach(async () => {
    clients.close();
    await aws.close();
  });

  it('passes a secret holding every key named, and more', async () => {
    await start(JSON.stringify({ username: 'app', password: CANARY, host: 'db' }));
    await expect(secrets.checkKeys(ctx, SECRET)).resolves.toBeUndefined();
    expect(aws.requests.map((r) => [r.service, r.action, r.region, r.status])).toEqual([
      ['secretsmanager', 'GetSecretValue', EU, 200],
    ]);
  });

  it('looks in the region given, else in the default one', async () => {
    await start(undefined);
    aws.secrets.putSecret(US, SECRET.name, JSON.stringify({ username: 'app', password: 'p' }));
    await secrets.checkKeys(ctx, SECRET, US);
    const err = await rejection(secrets.checkKeys(ctx, SECRET));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.reason).toBe('SecretNotFound');
    expect(err.message).toBe(
      'secret prod/acme/db not found in region eu-west-1; create it, or correct resources.secrets of group acme',
    );
    expect(aws.requests.map((r) => r.region)).toEqual([US, EU]);
  });

  it('names the missing keys, and never the value of those present', async () => {
    await start(JSON.stringify({ username: CANARY, password: CANARY }));
    const err = await rejection(
      secrets.checkKeys(ctx, { name: SECRET.name, keys: ['username', 'password', 'port', 'sslmode'] }),
    );
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.reason).toBe('SecretKeysMissing');
    expect(err.message).toBe(
      'secret prod/acme/db in eu-west-1 lacks keys port, sslmode that group acme needs; ' +
        'add them to the secret, or correct resources.secrets of group acme',
    );
    expect(err.cause).toBeUndefined();
    expectNoCanary(err);
    const one = await rejection(secrets.checkKeys(ctx, { name: SECRET.name, keys: ['username', 'port'] }));
    expect(one.message).toMatch(
      /^secret prod\/acme\/db in eu-west-1 lacks key port that group acme needs; add it /,
    );
  });

  it.each([
    ['text that is not JSON', `${CANARY} {`],
    ['JSON that is not an object', JSON.stringify([CANARY])],
    ['JSON that is not an object', JSON.stringify(CANARY)],
    ['JSON that is not an object', 'null'],
    ['binary data or no value', { binary: new TextEncoder().encode(JSON.stringify({ password: CANARY })) }],
  ] as const)('refuses a value that is %s, without quoting it', async (found, value) => {
    await start(value);
    const err = await rejection(secrets.checkKeys(ctx, SECRET));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.reason).toBe('SecretNotJson');
    expect(err.message).toBe(
      `secret prod/acme/db in eu-west-1 holds ${found}, not a JSON object of keys; ` +
        'store its value as a JSON object (key/value pairs) for group acme',
    );
    expect(err.cause).toBeUndefined();
    expectNoCanary(err);
  });

  it('says which IAM action to grant when access is denied', async () => {
    await start(JSON.stringify({ username: 'u', password: CANARY }), {
      allowedActions: POLICY_ACTIONS.filter((a) => !a.startsWith('secretsmanager:')),
    });
    const err = await rejection(secrets.checkKeys(ctx, SECRET));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.reason).toBe('AccessDenied');
    expect(err.message).toBe(
      `secretsmanager:GetSecretValue on prod/acme/db in eu-west-1 was denied; grant it to the controller's role ${README}`,
    );
    expect(err.cause).toBeUndefined();
  });

  it('says the credentials were not accepted when AWS does not know them', async () => {
    await start('{}', {}, { credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: 'x' } });
    const err = await rejection(secrets.checkKeys(ctx, SECRET));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(
      /^secretsmanager:GetSecretValue on prod\/acme\/db in eu-west-1 was refused: AWS did not accept the controller's credentials \(UnrecognizedClientException\); /,
    );
  });

  it.each([
    ['throttling', 'AwsThrottled', 'was throttled (ThrottlingException); it is retried later'],
    ['internal', 'AwsServerFault', 'failed at AWS (InternalServiceError, HTTP 500); it is retried later'],
  ] as const)('makes %s transient, in its own words only', async (fault, reason, says) => {
    await start(JSON.stringify({ username: 'u', password: CANARY }));
    aws.secrets.failNext('GetSecretValue', fault);
    const err = await rejection(secrets.checkKeys(ctx, SECRET));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.reason).toBe(reason);
    expect(err.message).toBe(`secretsmanager:GetSecretValue on prod/acme/db in eu-west-1 ${says}`);
    expect(err.cause).toBeUndefined();
  });

  it('passes once the SDK has retried a throttled read, when retries are allowed', async () => {
    await start(JSON.stringify({ username: 'u', password: 'p' }), {}, { maxAttempts: 3 });
    aws.secrets.failNext('GetSecretValue', 'throttling');
    await expect(secrets.checkKeys(ctx, SECRET)).resolves.toBeUndefined();
    expect(aws.requests.map((r) => r.status)).toEqual([400, 200]);
  });
});
