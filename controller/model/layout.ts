import type { Kind } from '../schema/validator.js';

/** The top-level folders holding desired state; nothing else is read. */
export const STATE_FOLDERS = ['groups', 'policies'] as const;

export const RING_SET_PATH = 'groups/rings.yaml';
export const DEFAULT_POLICY_PATH = 'policies/promotion.yaml';

/** Where a path sits in the repository layout. */
export type Placement =
  | { readonly type: 'kind'; readonly kind: Kind }
  | { readonly type: 'ignored' }
  | { readonly type: 'unexpected'; readonly hint: string };

const LAYOUT_HINT =
  'expected groups/rings.yaml, groups/<group>.yaml, groups/releases/<version>.yaml, groups/approvals/<transition>.yaml, groups/retries/<group>@<commit>.yaml or policies/<name>.yaml';

/** Classifies a repository path under groups/ or policies/. Documentation files are ignored. */
export function classifyPath(path: string): Placement {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base.endsWith('.md') || base === '.gitkeep') return { type: 'ignored' };
  if (base.endsWith('.yml')) return { type: 'unexpected', hint: `rename it to ${path.slice(0, -4)}.yaml` };
  const parts = path.split('/');
  if (!base.endsWith('.yaml') || base.startsWith('.'))
    return { type: 'unexpected', hint: `only .yaml files are read here; ${LAYOUT_HINT}` };
  if (parts[0] === 'groups' && parts.length === 2) {
    return path === RING_SET_PATH ? { type: 'kind', kind: 'RingSet' } : { type: 'kind', kind: 'Group' };
  }
  if (parts[0] === 'groups' && parts[1] === 'approvals' && parts.length === 3)
    return { type: 'kind', kind: 'Approval' };
  if (parts[0] === 'groups' && parts[1] === 'retries' && parts.length === 3)
    return { type: 'kind', kind: 'Retry' };
  if (parts[0] === 'groups' && parts[1] === 'releases' && parts.length === 3)
    return { type: 'kind', kind: 'Release' };
  if (parts[0] === 'policies' && parts.length === 2) return { type: 'kind', kind: 'PromotionPolicy' };
  return { type: 'unexpected', hint: `this folder is not read; ${LAYOUT_HINT}` };
}

/** Where a file of `kind` belongs, for messages; with the file's data, the exact path. */
export function placeOf(kind: Kind, data?: Record<string, unknown>): string {
  const named = (value: unknown, pattern: string) =>
    typeof value === 'string' && /^[-a-z0-9.]+$/.test(value) ? value : pattern;
  switch (kind) {
    case 'RingSet':
      return RING_SET_PATH;
    case 'Release':
      return `groups/releases/${named(data?.version, '<version>')}.yaml`;
    case 'Group':
      return `groups/${named(data?.name, '<group>')}.yaml`;
    case 'PromotionPolicy':
      return DEFAULT_POLICY_PATH;
    case 'Approval':
      return `groups/approvals/${typeof data?.transition === 'string' ? data.transition : '<transition>'}.yaml`;
    case 'Retry':
      return `groups/retries/${typeof data?.retry === 'string' && /^[-a-z0-9]+@[0-9a-f]+$/.test(data.retry) ? data.retry : '<group>@<commit>'}.yaml`;
  }
}

/** The base name of a path without its .yaml ending. */
export function stem(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.yaml$/, '');
}
