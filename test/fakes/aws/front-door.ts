/**
 * The front door of the AWS stand-in: which service and operation a request
 * is for, who signed it and for which region (SigV4 credential scope
 * `<key>/<date>/<region>/<service>/aws4_request`; the signature itself is not
 * checked), the faults tests ask for, and writing answers. Refusals are
 * AWS's, per service: RDS answers a missing or garbled signature 403
 * MissingAuthenticationToken, an unknown key 403 InvalidClientTokenId, a
 * scope for another service 403 SignatureDoesNotMatch; Secrets Manager the
 * same with 400 and its JSON error types. Test code only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RdsFault } from './rds.js';
import type { RdsCall } from './rds-wire.js';
import { SecretsFault } from './secrets.js';

/** The services served, by their SigV4 signing name. */
export type AwsService = 'rds' | 'secretsmanager';

/** A fault a test can ask for: throttling (400 Throttling / ThrottlingException) or a 500 server fault. */
export type AwsFaultKind = 'throttling' | 'internal';

/** A failure to answer: status, code and message, rendered per service. */
export type Refusal = RdsFault | SecretsFault;

/** The faults tests ask for, as each service answers them. */
export const FAULTS: Record<AwsService, Record<AwsFaultKind, () => Refusal>> = {
  rds: {
    throttling: () => new RdsFault(400, 'Throttling', 'Rate exceeded'),
    internal: () =>
      new RdsFault(
        500,
        'InternalFailure',
        'The request processing has failed because of an unknown error, exception or failure.',
        'Receiver',
      ),
  },
  secretsmanager: {
    throttling: () => new SecretsFault(400, 'ThrottlingException', 'Rate exceeded'),
    internal: () => new SecretsFault(500, 'InternalServiceError', 'An error occurred on the server side.'),
  },
};

/** The content type of Secrets Manager's requests and answers. */
export const JSON_1_1 = 'application/x-amz-json-1.1';

/** A request's service and operation, with its parameters: form fields for RDS, the JSON body for Secrets Manager. */
export type ParsedCall =
  | { service: 'rds'; action: string; rds: RdsCall }
  | { service: 'secretsmanager'; action: string; json: unknown };

/** Which service and operation a request is for, or undefined for neither. */
export function parseCall(req: IncomingMessage, body: string): ParsedCall | undefined {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith('secretsmanager.')) {
    let json: unknown;
    try {
      json = JSON.parse(body || '{}');
    } catch {
      json = undefined;
    }
    return { service: 'secretsmanager', action: target.slice('secretsmanager.'.length), json };
  }
  const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  const params = new URLSearchParams(body);
  const action = params.get('Action');
  return req.method === 'POST' && form && action
    ? { service: 'rds', action, rds: { action, params } }
    : undefined;
}

/** The region of a SigV4 `Authorization` header, or AWS's refusal of it. */
export function authenticate(
  header: string | undefined,
  service: AwsService,
  keys: ReadonlySet<string>,
): { region: string } | { refusal: Refusal } {
  const rds = service === 'rds';
  const scope =
    /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request\s*,/.exec(
      header ?? '',
    );
  if (!scope)
    return {
      refusal: rds
        ? new RdsFault(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token')
        : new SecretsFault(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token'),
    };
  const [, key, region, signedFor] = scope as unknown as [string, string, string, string];
  if (!keys.has(key))
    return {
      refusal: rds
        ? new RdsFault(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.')
        : new SecretsFault(
            400,
            'UnrecognizedClientException',
            'The security token included in the request is invalid.',
          ),
    };
  if (signedFor !== service) {
    const message = `Credential should be scoped to correct service: '${service}'. `;
    return {
      refusal: rds
        ? new RdsFault(403, 'SignatureDoesNotMatch', message)
        : new SecretsFault(400, 'InvalidSignatureException', message),
    };
  }
  return { region };
}

/** The whole body of a request, as UTF-8 text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Writes a whole answer, with AWS's request id header when given. */
export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string,
  requestId?: string,
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    ...(requestId && { 'x-amzn-requestid': requestId }),
  });
  res.end(text);
}
