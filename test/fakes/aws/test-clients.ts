/**
 * Real AWS SDK clients reaching the AWS stand-in, as the composition root
 * builds them but with the stand-in's endpoint, the test credentials (never
 * the default chain, which could probe the instance metadata service) and a
 * chosen `maxAttempts` (1 where retries are not the point). Test code only.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type RegionClients, regionClients } from '../../../controller/providers/aws/clients.js';
import { TEST_CREDENTIALS } from './iam.js';

// The SDK warns once, at the first client, that later versions will need Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Options of the clients; every one has a default. */
export interface TestClientOptions {
  /** Default 1: the first failure is final. */
  maxAttempts?: number;
  /** Default TEST_CREDENTIALS. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const settings = (url: string, region: string, options: TestClientOptions) => ({
  region,
  endpoint: url,
  credentials: { ...(options.credentials ?? TEST_CREDENTIALS) },
  maxAttempts: options.maxAttempts ?? 1,
});

/** An RDS client of `region` reaching the stand-in at `url`. */
export function rdsClient(url: string, region: string, options: TestClientOptions = {}): RDSClient {
  return new RDSClient(settings(url, region, options));
}

/** A Secrets Manager client of `region` reaching the stand-in at `url`. */
export function secretsClient(
  url: string,
  region: string,
  options: TestClientOptions = {},
): SecretsManagerClient {
  return new SecretsManagerClient(settings(url, region, options));
}

/** Per-region clients of both services reaching the stand-in at `url`, as the adapters take them. */
export function standInClients(
  url: string,
  options: TestClientOptions = {},
): { rds: RegionClients<RDSClient>; secrets: RegionClients<SecretsManagerClient>; close(): void } {
  const rds = regionClients((region) => rdsClient(url, region, options));
  const secrets = regionClients((region) => secretsClient(url, region, options));
  return {
    rds,
    secrets,
    close() {
      rds.close();
      secrets.close();
    },
  };
}

/** The environment that points a controller's AWS clients at the stand-in at `url`, as AWS_ENDPOINT_URL does in any setup. */
export function awsEnv(url: string): Readonly<Record<string, string>> {
  return {
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
