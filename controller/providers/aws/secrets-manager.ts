/**
 * The secrets port on AWS Secrets Manager: checks that a group's secret
 * exists and that its value is a JSON object holding every key the group
 * names. The value is read (GetSecretValue: there is no other way to see its
 * keys), its key names are taken, and it is dropped in the same function: it
 * is never returned, logged, put in an error message or attached as a
 * `cause`. For the same reason no SDK error of this call is attached or
 * quoted (a failed parse could carry the body); errors say the code, the
 * status and our own words.
 * IAM action used: secretsmanager:GetSecretValue (deploy/iam-policy.json);
 * a secret encrypted with a customer managed KMS key also needs kms:Decrypt
 * on that key.
 */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PermanentError } from '../../errors.js';
import type { SecretRef } from '../../model/types.js';
import type { CallContext, SecretsPort } from '../ports.js';
import { awsError } from './aws-errors.js';
import type { RegionClients } from './clients.js';

/**
 * The secrets port on Secrets Manager: a secret is looked up by name (or ARN)
 * in `region`, else in `defaultRegion`, through `clients`. Errors: see
 * SecretsPort, and aws-errors.ts for throttling, server faults and denials.
 */
export function awsSecrets(clients: RegionClients<SecretsManagerClient>, defaultRegion: string): SecretsPort {
  return {
    async checkKeys(ctx, secret, region = defaultRegion) {
      const keys = await keysOf(clients.forRegion(region), ctx, secret, region);
      const missing = secret.keys.filter((k) => !keys.has(k));
      if (missing.length > 0)
        throw new PermanentError(
          'SecretKeysMissing',
          `secret ${secret.name} in ${region} lacks key${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
            `that group ${ctx.group} needs; add ${missing.length > 1 ? 'them' : 'it'} to the secret, ` +
            `or correct resources.secrets of group ${ctx.group}`,
        );
    },
  };
}

/** The key names of the secret's JSON value; the value itself does not leave this function. */
async function keysOf(
  client: SecretsManagerClient,
  ctx: CallContext,
  secret: SecretRef,
  region: string,
): Promise<ReadonlySet<string>> {
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secret.name }))).SecretString;
  } catch (err) {
    if (err instanceof ResourceNotFoundException)
      throw new PermanentError(
        'SecretNotFound',
        `secret ${secret.name} not found in region ${region}; create it, or correct resources.secrets of group ${ctx.group}`,
      );
    throw awsError(err, {
      action: 'secretsmanager:GetSecretValue',
      target: secret.name,
      region,
      echo: false,
    });
  }
  const parsed = jsonKeys(text);
  if ('keys' in parsed) return parsed.keys;
  throw new PermanentError(
    'SecretNotJson',
    `secret ${secret.name} in ${region} holds ${parsed.found}, not a JSON object of keys; ` +
      `store its value as a JSON object (key/value pairs) for group ${ctx.group}`,
  );
}

/** The top-level keys of a JSON object text, or what the text is instead (in words, never quoted). */
function jsonKeys(text: string | undefined): { keys: ReadonlySet<string> } | { found: string } {
  if (text === undefined) return { found: 'binary data or no value' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the text: neither it nor the error goes anywhere.
    return { found: 'text that is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { found: 'JSON that is not an object' };
  return { keys: new Set(Object.keys(value)) };
}
