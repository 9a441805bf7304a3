/**
 * Authentication by bearer token and RBAC authorization (Kubernetes "Using RBAC
 * Authorization"; rule matching as `rbac/v1` helpers `RuleAllows`). Test code only.
 *
 * A token maps to a ServiceAccount, user `system:serviceaccount:<ns>:<sa>`, in
 * groups `system:serviceaccounts`, `system:serviceaccounts:<ns>` and
 * `system:authenticated`; the ServiceAccount must be among the RBAC objects (a
 * token of a missing account is refused, as for a deleted one). RoleBindings
 * grant in their own namespace only (a RoleBinding may reference a ClusterRole);
 * ClusterRoleBindings everywhere. Every allowed request counts once against the
 * (group, resource, verb) it used, for `usedPermissions()`.
 */
import type { RequestAttributes } from './status.js';
import { type JsonObject, isObject, objectAt } from './types.js';

/** The identity behind a token. */
export interface KubeUser {
  name: string;
  groups: string[];
}

/** RBAC objects and the ServiceAccount each token stands for. */
export interface RbacConfig {
  objects: readonly object[];
  tokens: Readonly<Record<string, { namespace: string; serviceAccount: string }>>;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
}

interface Grant {
  /** undefined for a ClusterRoleBinding: every namespace. */
  namespace?: string;
  subjects: JsonObject[];
  rules: Rule[];
}

/** Authenticates tokens and authorizes requests per the RBAC objects. */
export class Rbac {
  readonly #grants: Grant[];
  readonly #accounts: Set<string>;
  readonly #used = new Map<string, number>();

  constructor(private readonly config: RbacConfig) {
    const objects = config.objects.filter(isObject);
    const of = (kind: string) => objects.filter((o) => o.kind === kind);
    this.#accounts = new Set(
      of('ServiceAccount').map((sa) => accountKey(ns(sa), String(objectAt(sa, 'metadata').name))),
    );
    const roles = new Map<string, Rule[]>();
    for (const role of of('Role')) roles.set(`Role/${ns(role)}/${nameOf(role)}`, rulesOf(role));
    for (const role of of('ClusterRole')) roles.set(`ClusterRole//${nameOf(role)}`, rulesOf(role));
    const bindings = [...of('RoleBinding'), ...of('ClusterRoleBinding')];
    this.#grants = bindings.map((b) => {
      const ref = objectAt(b, 'roleRef');
      const refNs = ref.kind === 'Role' ? ns(b) : '';
      return {
        namespace: b.kind === 'RoleBinding' ? ns(b) : undefined,
        subjects: (Array.isArray(b.subjects) ? b.subjects : []).filter(isObject),
        rules: roles.get(`${String(ref.kind)}/${refNs}/${String(ref.name)}`) ?? [],
      };
    });
  }

  /** The user of an `Authorization` header, or undefined (401) for a missing or unknown token. */
  authenticate(header: string | undefined): KubeUser | undefined {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    const account = token === undefined ? undefined : this.config.tokens[token];
    if (!account || !this.#accounts.has(accountKey(account.namespace, account.serviceAccount)))
      return undefined;
    return {
      name: `system:serviceaccount:${account.namespace}:${account.serviceAccount}`,
      groups: [
        'system:serviceaccounts',
        `system:serviceaccounts:${account.namespace}`,
        'system:authenticated',
      ],
    };
  }

  /** Whether `user` may make the request; counts the permission when it may. */
  authorize(user: KubeUser, attrs: RequestAttributes): boolean {
    const allowed = this.#grants.some(
      (g) =>
        (g.namespace === undefined || g.namespace === attrs.namespace) &&
        g.subjects.some((s) => subjectMatches(s, user, g.namespace)) &&
        g.rules.some((r) => ruleAllows(r, attrs)),
    );
    if (allowed) {
      const key = `${attrs.group}/${attrs.resource}/${attrs.verb}`;
      this.#used.set(key, (this.#used.get(key) ?? 0) + 1);
    }
    return allowed;
  }

  /** Allowed requests by `<group>/<resource>/<verb>` (core group empty: `/configmaps/get`). */
  used(): ReadonlyMap<string, number> {
    return new Map(this.#used);
  }
}

function subjectMatches(subject: JsonObject, user: KubeUser, bindingNamespace: string | undefined): boolean {
  const name = String(subject.name ?? '');
  switch (subject.kind) {
    case 'ServiceAccount': {
      const namespace =
        typeof subject.namespace === 'string' && subject.namespace ? subject.namespace : bindingNamespace;
      return namespace !== undefined && user.name === `system:serviceaccount:${namespace}:${name}`;
    }
    case 'User':
      return user.name === name;
    case 'Group':
      return user.groups.includes(name);
    default:
      return false;
  }
}

function ruleAllows(rule: Rule, attrs: RequestAttributes): boolean {
  const slash = attrs.resource.indexOf('/');
  const subresource = slash < 0 ? '' : attrs.resource.slice(slash + 1);
  const resourceMatches = rule.resources.some(
    (r) => r === '*' || r === attrs.resource || (subresource !== '' && r === `*/${subresource}`),
  );
  return (
    (rule.verbs.includes('*') || rule.verbs.includes(attrs.verb)) &&
    (rule.apiGroups.includes('*') || rule.apiGroups.includes(attrs.group)) &&
    resourceMatches &&
    (!rule.resourceNames.length || (attrs.name !== undefined && rule.resourceNames.includes(attrs.name)))
  );
}

function rulesOf(role: JsonObject): Rule[] {
  const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  return (Array.isArray(role.rules) ? role.rules : []).filter(isObject).map((r) => ({
    apiGroups: strings(r.apiGroups),
    resources: strings(r.resources),
    verbs: strings(r.verbs),
    resourceNames: strings(r.resourceNames),
  }));
}

function ns(object: JsonObject): string {
  return String(objectAt(object, 'metadata').namespace ?? 'default');
}

function nameOf(object: JsonObject): string {
  return String(objectAt(object, 'metadata').name ?? '');
}

function accountKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
