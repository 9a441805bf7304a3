/**
 * The apiserver's `Status` failure bodies (kubernetes/community api-conventions,
 * "Response Status Kind"; messages as apimachinery's `errors` package words them).
 * Empty details fields are left out, as Go's `omitempty` does. Test code only.
 */
import { type ResourceDef, qualifiedKind, qualifiedResource } from './resources.js';
import type { Reply } from './types.js';

/** One `details.causes[]` entry. */
export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

/** `details` of a Status. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A field validation error, as apimachinery's `field.Error`. */
export interface FieldError {
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueForbidden'
    | 'FieldValueDuplicate'
    | 'FieldValueTooLong'
    | 'FieldValueNotSupported';
  /** Path like `spec.template.spec.containers[0].image`. */
  field: string;
  /** The offending value (shown for Invalid and Duplicate). */
  value?: unknown;
  /** What is wrong, e.g. `must be greater than or equal to 0`. */
  detail?: string;
}

/** A failure Status reply with `code`, `reason`, `message` and non-empty `details`. */
export function statusReply(
  code: number,
  reason: string,
  message: string,
  details: StatusDetails = {},
): Reply {
  const kept = Object.fromEntries(
    Object.entries(details).filter(
      ([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && !v.length),
    ),
  );
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      details: kept,
      code,
    },
  };
}

function detailsOf(def: ResourceDef, name: string | undefined): StatusDetails {
  return { name, group: def.group, kind: def.plural };
}

/** 404 `deployments.apps "web" not found`. */
export function notFound(def: ResourceDef, name: string): Reply {
  return statusReply(404, 'NotFound', `${qualifiedResource(def)} "${name}" not found`, detailsOf(def, name));
}

/** 404 for a path that names nothing served. */
export function pathNotFound(): Reply {
  return statusReply(404, 'NotFound', 'the server could not find the requested resource');
}

/** 409 `deployments.apps "web" already exists`. */
export function alreadyExists(def: ResourceDef, name: string): Reply {
  return statusReply(
    409,
    'AlreadyExists',
    `${qualifiedResource(def)} "${name}" already exists`,
    detailsOf(def, name),
  );
}

/** apiserver's wording for a stale resourceVersion. */
export const OBJECT_MODIFIED =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 409 `Operation cannot be fulfilled on deployments.apps "web": <why>`. */
export function conflict(def: ResourceDef, name: string, why = OBJECT_MODIFIED): Reply {
  const message = `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": ${why}`;
  return statusReply(409, 'Conflict', message, detailsOf(def, name));
}

/** apimachinery's `field.Error.ErrorBody()`. */
export function errorBody(e: FieldError): string {
  const value = e.value === undefined ? '""' : JSON.stringify(e.value);
  const detail = e.detail ? `: ${e.detail}` : '';
  switch (e.type) {
    case 'FieldValueRequired':
      return `Required value${detail}`;
    case 'FieldValueForbidden':
      return `Forbidden${detail}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${value}`;
    case 'FieldValueTooLong':
      return `Too long${detail}`;
    case 'FieldValueNotSupported':
      return `Unsupported value: ${value}${detail}`;
    default:
      return `Invalid value: ${value}${detail}`;
  }
}

/** 422 `Deployment.apps "web" is invalid: spec.replicas: Invalid value: ...` with one cause per error. */
export function invalid(
  kind: { group: string; kind: string; qualified: string },
  name: string,
  errors: FieldError[],
): Reply {
  const texts = errors.map((e) => `${e.field}: ${errorBody(e)}`);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return statusReply(422, 'Invalid', `${kind.qualified} "${name}" is invalid: ${summary}`, {
    name,
    group: kind.group,
    kind: kind.kind,
    causes: errors.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field })),
  });
}

/** `invalid` for an object of a served resource. */
export function invalidObject(def: ResourceDef, name: string, errors: FieldError[]): Reply {
  return invalid({ group: def.group, kind: def.kind, qualified: qualifiedKind(def) }, name, errors);
}

/** 422 for bad PatchOptions (missing fieldManager on apply, force on a non-apply patch). */
export function invalidPatchOptions(error: FieldError): Reply {
  return invalid({ group: 'meta.k8s.io', kind: 'PatchOptions', qualified: 'PatchOptions.meta.k8s.io' }, '', [
    error,
  ]);
}

/** 400 BadRequest. */
export function badRequest(message: string): Reply {
  return statusReply(400, 'BadRequest', message);
}

/** 401 as kube-apiserver answers a missing or unknown token. */
export function unauthorized(): Reply {
  return statusReply(401, 'Unauthorized', 'Unauthorized');
}

/** The attributes of a request as RBAC sees them. */
export interface RequestAttributes {
  verb: string;
  group: string;
  /** Plural, with `/status` for the subresource. */
  resource: string;
  namespace: string;
  name?: string;
}

/** 403 `deployments.apps "web" is forbidden: User "..." cannot patch resource "deployments" ...`. */
export function forbidden(def: ResourceDef, attrs: RequestAttributes, user: string): Reply {
  const where = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  const why =
    `User "${user}" cannot ${attrs.verb} resource "${attrs.resource}" ` +
    `in API group "${attrs.group}" ${where}`;
  const subject = attrs.name ? `${qualifiedResource(def)} "${attrs.name}"` : qualifiedResource(def);
  return statusReply(403, 'Forbidden', `${subject} is forbidden: ${why}`, detailsOf(def, attrs.name));
}

/** 415 apimachinery `errUnsupportedMediaType` (no details). */
export function unsupportedMediaType(accepted: readonly string[]): Reply {
  const message = `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`;
  return statusReply(415, 'UnsupportedMediaType', message);
}

/** 405 for a verb the path does not serve. */
export function methodNotAllowed(): Reply {
  return statusReply(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}

/** The Status of a 410 `Expired` watch: `too old resource version: <asked> (<oldest kept>)`. */
export function expiredStatus(asked: string, oldest: number): unknown {
  return statusReply(410, 'Expired', `too old resource version: ${asked} (${oldest})`).body;
}

/** The Status a `failNext` rule answers with `code` (reason and wording per apimachinery). */
export function injectedFailure(code: number, def: ResourceDef | undefined, name: string | undefined): Reply {
  const details = def ? detailsOf(def, name) : {};
  switch (code) {
    case 409:
      return def && name ? conflict(def, name) : statusReply(409, 'Conflict', OBJECT_MODIFIED, details);
    case 429: {
      const reply = statusReply(429, 'TooManyRequests', 'Too many requests, please try again later.', {
        ...details,
        retryAfterSeconds: 1,
      });
      return { ...reply, headers: { 'retry-after': '1' } };
    }
    case 500: {
      const message = 'Internal error occurred: injected failure';
      return statusReply(500, 'InternalError', message, {
        ...details,
        causes: [{ message: 'injected failure' }],
      });
    }
    case 503:
      return statusReply(
        503,
        'ServiceUnavailable',
        'the server is currently unable to handle the request',
        details,
      );
    case 504:
      return statusReply(
        504,
        'Timeout',
        'the server was unable to return a response in the time allotted',
        details,
      );
    default:
      return statusReply(
        code,
        code >= 500 ? 'InternalError' : 'BadRequest',
        `the server responded with the status code ${code} but did not return more information`,
        details,
      );
  }
}
