/**
 * The one translation of AWS SDK errors into ours, shared by the RDS and
 * Secrets Manager adapters. Decided by the error's code (the SDK error's
 * `name`, which is the service's wire code) and HTTP status, never by its
 * message:
 * - throttling codes and HTTP 429, server faults (5xx) and calls that got no
 *   answer at all (refused, reset, timed out: no HTTP status) are
 *   TransientError;
 * - a denied action or rejected credentials (and HTTP 401/403) is
 *   ConfigurationError 'AccessDenied', naming the IAM action to grant;
 * - no credentials at all is ConfigurationError 'AwsCredentialsMissing';
 * - anything else is PermanentError with the service's code.
 * Codes an adapter expects (a missing instance, a missing secret) are handled
 * by the adapter before it calls `awsError`.
 */
import { ConfigurationError, PermanentError, type RingmasterError, TransientError } from '../../errors.js';

/** What was being done when an error came back, for the error's message. */
export interface AwsCall {
  /** The IAM action of the call, e.g. `rds:DescribeDBInstances`. */
  readonly action: string;
  /** Other IAM actions the call needs (CreateDBSnapshot with tags also needs `rds:AddTagsToResource`). */
  readonly alsoNeeds?: readonly string[];
  /** What the call is about: an instance, snapshot or secret name. */
  readonly target: string;
  readonly region: string;
  /**
   * Whether the service's message and the SDK error may be repeated (as text
   * and as `cause`). False for calls whose answers carry secret values: the
   * error then says only the code, the status and our own words.
   */
  readonly echo: boolean;
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

const SERVER_FAULTS = new Set([
  'InternalFailure',
  'InternalServiceError',
  'InternalError',
  'ServiceUnavailable',
]);

const DENIED = new Set(['AccessDenied', 'AccessDeniedException']);

const CREDENTIALS_REJECTED = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
]);

const README = `(see README "Running against AWS")`;

/** The fields of an SDK error we read; anything may be absent. */
interface SdkErrorFields {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** The wire code of an SDK error (its `name`), or a Node error code for a failed connection. */
function awsErrorCode(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorFields;
  const code = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'Error';
  // Only a code-shaped word is ever repeated: nothing else of a foreign error reaches our text.
  return /^[A-Za-z][\w.#:-]{0,99}$/.test(code) ? code : 'Error';
}

/** Our error for `err`, thrown by the SDK during `call`. */
export function awsError(err: unknown, call: AwsCall): RingmasterError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorFields;
  const code = awsErrorCode(err);
  const status = e.$metadata?.httpStatusCode;
  const what = `${call.action} on ${call.target} in ${call.region}`;
  const options = call.echo ? { cause: err } : undefined;
  if (code === 'CredentialsProviderError')
    return new ConfigurationError(
      'AwsCredentialsMissing',
      `${what} was not sent: the controller found no AWS credentials; give it a role or credentials ${README}`,
      options,
    );
  if (status === undefined)
    return new TransientError(
      'AwsUnreachable',
      `${what} got no answer (${code}${call.echo ? `: ${String(e.message)}` : ''}); check the network path to the AWS endpoint`,
      options,
    );
  if (THROTTLING.has(code) || status === 429)
    return new TransientError(
      'AwsThrottled',
      `${what} was throttled (${code}); it is retried later`,
      options,
    );
  if (SERVER_FAULTS.has(code) || status >= 500)
    return new TransientError(
      'AwsServerFault',
      `${what} failed at AWS (${code}, HTTP ${status}); it is retried later`,
      options,
    );
  if (CREDENTIALS_REJECTED.has(code))
    return new ConfigurationError(
      'AccessDenied',
      `${what} was refused: AWS did not accept the controller's credentials (${code}); check the role or credentials it runs with ${README}`,
      options,
    );
  if (DENIED.has(code) || status === 401 || status === 403)
    return new ConfigurationError(
      'AccessDenied',
      `${refusedAction(call, e.message)} on ${call.target} in ${call.region} was denied; grant it to the controller's role ${README}`,
      options,
    );
  const said = call.echo && typeof e.message === 'string' && e.message ? `: ${e.message}` : '';
  const request = e.$metadata?.requestId ? `, request ${e.$metadata.requestId}` : '';
  return new PermanentError(
    `Aws${code}`,
    `${what} was rejected (${code}, HTTP ${status}${request})${said}`,
    options,
  );
}

/**
 * The IAM action a denial names, among those the call needs (AWS's message
 * says "not authorized to perform: <action>"); the call's own action when the
 * message names none of them. Only an action of our own list is ever returned,
 * so nothing of the service's text is repeated.
 */
function refusedAction(call: AwsCall, message: unknown): string {
  const text = typeof message === 'string' ? message.toLowerCase() : '';
  const needed = [call.action, ...(call.alsoNeeds ?? [])];
  return needed.find((a) => text.includes(`perform: ${a.toLowerCase()} `)) ?? call.action;
}
