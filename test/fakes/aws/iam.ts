/**
 * IAM for the AWS stand-in, as the Kubernetes stand-in enforces RBAC: the
 * caller is allowed exactly the actions of an identity policy (by default the
 * controller's, deploy/iam-policy.json), and each request needs the IAM
 * actions AWS's Service Authorization Reference lists for it (CreateDBSnapshot
 * with Tags also needs rds:AddTagsToResource). Actions match as IAM matches
 * them: case-insensitively, with `*` and `?` wildcards. Only `"Resource": "*"`
 * Allow statements are understood (the controller's policy is written so);
 * anything else makes loading fail rather than be misread. Test code only.
 */
import { readFileSync } from 'node:fs';

/** The account and principal of the stand-in's caller, as denials name them. */
export const ACCOUNT_ID = '123456789012';
export const CALLER_ARN = `arn:aws:sts::${ACCOUNT_ID}:assumed-role/ringmaster-controller/ringmaster`;

/**
 * The credentials tests sign with; the stand-in knows this access key id by
 * default. Give each client a copy: the SDK writes a `$source` field into the
 * credentials object it is given (and fails on a frozen one).
 */
export const TEST_CREDENTIALS: { readonly accessKeyId: string; readonly secretAccessKey: string } = {
  accessKeyId: 'AKIDTEST',
  secretAccessKey: 'test',
};

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
}

/** The actions an IAM identity policy document allows; throws on what the stand-in cannot evaluate. */
export function policyActions(document: unknown): string[] {
  const statements = (document as { Statement?: unknown }).Statement;
  const list = (Array.isArray(statements) ? statements : [statements]) as Statement[];
  return list.flatMap((s) => {
    const actions = typeof s.Action === 'string' ? [s.Action] : s.Action;
    if (s.Effect !== 'Allow' || s.Resource !== '*' || !Array.isArray(actions))
      throw new Error(
        `IAM stand-in: only Allow statements on Resource "*" are evaluated: ${JSON.stringify(s)}`,
      );
    return actions.map(String);
  });
}

/** The actions deploy/iam-policy.json allows (read relative to the working directory, the repository root). */
export const POLICY_ACTIONS: readonly string[] = policyActions(
  JSON.parse(readFileSync('deploy/iam-policy.json', 'utf8')),
);

/** Allows requests per a list of IAM actions, and remembers which allowed actions were used. */
export class Iam {
  readonly #patterns: RegExp[];
  readonly #used = new Map<string, number>();

  constructor(allowed: readonly string[]) {
    this.#patterns = allowed.map(
      (a) =>
        new RegExp(
          `^${a
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')}$`,
          'i',
        ),
    );
  }

  /** The first of `actions` not allowed, or undefined when all are (then each counts as used). */
  refused(actions: readonly string[]): string | undefined {
    const refused = actions.find((a) => !this.#patterns.some((p) => p.test(a)));
    if (refused === undefined) for (const a of actions) this.#used.set(a, (this.#used.get(a) ?? 0) + 1);
    return refused;
  }

  /** Allowed actions used so far, with how many requests needed each. */
  used(): ReadonlyMap<string, number> {
    return new Map(this.#used);
  }
}

/** AWS's words for a denied action (the message both RDS and Secrets Manager send). */
export function deniedMessage(action: string, resource: string): string {
  return (
    `User: ${CALLER_ARN} is not authorized to perform: ${action} on resource: ${resource} ` +
    `because no identity-based policy allows the ${action} action`
  );
}
