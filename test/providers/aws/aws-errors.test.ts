/**
 * The translation of AWS SDK errors, for the codes and statuses the stand-in
 * does not produce (the adapter tests cover the ones it does).
 */
import { ConfigurationError, PermanentError, TransientError } from '../../../controller/errors.js';
import { type AwsCall, awsError } from '../../../controller/providers/aws/aws-errors.js';

const CALL: AwsCall = {
  action: 'rds:DescribeDBInstances',
  target: 'acme-db',
  region: 'eu-west-1',
  echo: true,
};

/** An error shaped as the SDK throws them. */
const sdkError = (name: string, status?: number, message = 'said by AWS') =>
  Object.assign(new Error(message), {
    name,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
  });

describe('awsError', () => {
  it.each([
    ['TooManyRequestsException', 400, TransientError, 'AwsThrottled'],
    ['RequestLimitExceeded', 400, TransientError, 'AwsThrottled'],
    ['SomethingNew', 429, TransientError, 'AwsThrottled'],
    ['ServiceUnavailable', 503, TransientError, 'AwsServerFault'],
    ['SomethingNew', 502, TransientError, 'AwsServerFault'],
    ['TimeoutError', undefined, TransientError, 'AwsUnreachable'],
    ['ExpiredToken', 400, ConfigurationError, 'AccessDenied'],
    ['SignatureDoesNotMatch', 403, ConfigurationError, 'AccessDenied'],
    ['SomethingNew', 401, ConfigurationError, 'AccessDenied'],
    ['CredentialsProviderError', undefined, ConfigurationError, 'AwsCredentialsMissing'],
    ['InvalidParameterCombination', 400, PermanentError, 'AwsInvalidParameterCombination'],
  ] as const)('makes %s (HTTP %s) a %p with reason %s', (name, status, type, reason) => {
    const err = awsError(sdkError(name, status), CALL);
    expect(err).toBeInstanceOf(type);
    expect(err.reason).toBe(reason);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('repeats neither the message nor the error when the call may not echo', () => {
    const quiet = { ...CALL, action: 'secretsmanager:GetSecretValue', echo: false };
    for (const [name, status] of [
      ['DecryptionFailure', 400],
      ['SomethingNew', 500],
      ['ECONNRESET', undefined],
    ] as const) {
      const err = awsError(sdkError(name, status, 'value: hunter2'), quiet);
      expect(err.message).not.toContain('hunter2');
      expect(err.cause).toBeUndefined();
    }
    expect(awsError(sdkError('DecryptionFailure', 400, 'hunter2'), quiet).message).toBe(
      'secretsmanager:GetSecretValue on acme-db in eu-west-1 was rejected (DecryptionFailure, HTTP 400)',
    );
  });

  it('never repeats a code that is not code-shaped', () => {
    const err = awsError(sdkError('{"SecretString":"hunter2"}', 400), { ...CALL, echo: false });
    expect(err.message).toBe(
      'rds:DescribeDBInstances on acme-db in eu-west-1 was rejected (Error, HTTP 400)',
    );
    expect(err.reason).toBe('AwsError');
  });
});
