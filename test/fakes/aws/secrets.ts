/**
 * The Secrets Manager world of the AWS stand-in: secrets per region and the
 * operations GetSecretValue and DescribeSecret over the JSON 1.1 protocol
 * (POST, `X-Amz-Target: secretsmanager.<Op>`, JSON body; PROVIDERS.md B2).
 * A secret is found by name or by its full ARN; a missing one is 400
 * ResourceNotFoundException (AWS's API reference; not moto's 404). Answers
 * carry what AWS sends: ARN (name plus `-` and six characters), Name,
 * VersionId, SecretString or SecretBinary (base64), VersionStages and dates
 * as epoch seconds. Test code only.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ACCOUNT_ID } from './iam.js';

/** An error Secrets Manager answers with: HTTP status, `__type` and message. */
export class SecretsFault extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** A secret's value: text (usually JSON), or binary. */
export type SecretValue = string | { readonly binary: Uint8Array };

interface StoredSecret {
  readonly name: string;
  readonly arn: string;
  readonly versionId: string;
  readonly value: SecretValue;
  readonly createdAt: number;
}

/** Secrets of every region, and the operations on them. */
export class SecretsWorld {
  readonly #secrets = new Map<string, StoredSecret>();

  constructor(private readonly now: () => number) {}

  /** Creates a secret, or puts a new current version of it. */
  putSecret(region: string, name: string, value: SecretValue): void {
    const found = this.#secrets.get(`${region}/${name}`);
    const suffix = createHash('sha256').update(name).digest('base64url').replace(/[-_]/g, 'x').slice(0, 6);
    this.#secrets.set(`${region}/${name}`, {
      name,
      arn: found?.arn ?? `arn:aws:secretsmanager:${region}:${ACCOUNT_ID}:secret:${name}-${suffix}`,
      versionId: randomUUID(),
      value,
      createdAt: found?.createdAt ?? this.now(),
    });
  }

  removeSecret(region: string, name: string): void {
    this.#secrets.delete(`${region}/${name}`);
  }

  /** The IAM action and resource a call needs, for the IAM check. */
  permissions(region: string, operation: string, body: unknown): { actions: string[]; resource: string } {
    const id = secretIdOf(body);
    return {
      actions: [`secretsmanager:${operation}`],
      resource: (id && this.#find(region, id)?.arn) ?? id ?? '*',
    };
  }

  /** Runs an operation: the answer's JSON object; throws SecretsFault for what AWS refuses. */
  run(region: string, operation: string, body: unknown): object {
    if (operation !== 'GetSecretValue' && operation !== 'DescribeSecret')
      throw new SecretsFault(400, 'UnknownOperationException', '');
    const id = secretIdOf(body);
    if (id === undefined)
      throw new SecretsFault(400, 'InvalidParameterException', 'You must provide a SecretId.');
    const secret = this.#find(region, id);
    if (!secret)
      throw new SecretsFault(
        400,
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    const created = secret.createdAt / 1000;
    if (operation === 'DescribeSecret')
      return {
        ARN: secret.arn,
        Name: secret.name,
        LastChangedDate: created,
        CreatedDate: created,
        VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] },
      };
    const value = secret.value;
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      ...(typeof value === 'string'
        ? { SecretString: value }
        : { SecretBinary: Buffer.from(value.binary).toString('base64') }),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: created,
    };
  }

  #find(region: string, id: string): StoredSecret | undefined {
    return (
      this.#secrets.get(`${region}/${id}`) ??
      [...this.#secrets.values()].find((s) => s.arn === id && s.arn.split(':')[3] === region)
    );
  }
}

function secretIdOf(body: unknown): string | undefined {
  const id = (body as { SecretId?: unknown } | null)?.SecretId;
  return typeof id === 'string' && id ? id : undefined;
}
