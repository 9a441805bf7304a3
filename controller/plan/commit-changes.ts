/**
 * What a commit changed in the desired state against the commit followed
 * before it, in words an operator reads on the status page: rings whose
 * release moved, groups added, removed, moved to another ring or otherwise
 * changed, releases added, the policy changed.
 */
import type { Constellation, Group } from '../model/types.js';

export interface CommitChanges {
  /** One line per change, rings first. */
  readonly changes: readonly string[];
  /** Rings whose release it changed. */
  readonly rings: readonly string[];
}

/** Names listed in one line before "and N more". */
const NAMED = 5;

/** The changes from `before` (undefined: the first commit this process follows) to `after`. */
export function describeChanges(before: Constellation | undefined, after: Constellation): CommitChanges {
  if (!before) {
    return {
      changes: [
        `followed at start: ${after.rings.length} rings, ${after.groups.size} groups (no commit before it to compare with)`,
      ],
      rings: after.rings.map((r) => r.name),
    };
  }
  const changes: string[] = [];
  const rings: string[] = [];
  const was = new Map(before.rings.map((r) => [r.name, r]));
  for (const ring of after.rings) {
    const old = was.get(ring.name);
    if (!old) changes.push(`ring ${ring.name} added on ${ring.release}`);
    else if (old.release !== ring.release)
      changes.push(`ring ${ring.name}: ${old.release} → ${ring.release}`);
    else continue;
    rings.push(ring.name);
  }
  const kept = new Set(after.rings.map((r) => r.name));
  for (const ring of before.rings) if (!kept.has(ring.name)) changes.push(`ring ${ring.name} removed`);
  const added: string[] = [];
  const moved: string[] = [];
  const edited: string[] = [];
  for (const group of after.groups.values()) {
    const old = before.groups.get(group.name);
    if (!old) added.push(`${group.name} (${group.ring})`);
    else if (old.ring !== group.ring) moved.push(`${group.name} ${old.ring} → ${group.ring}`);
    else if (old !== group && groupText(old) !== groupText(group)) edited.push(group.name);
  }
  const removed = [...before.groups.keys()].filter((name) => !after.groups.has(name));
  listed(changes, 'added', added);
  listed(changes, 'removed', removed);
  listed(changes, 'moved', moved);
  listed(changes, 'changed', edited);
  const releases = [...after.releases.keys()].filter((v) => !before.releases.has(v));
  if (releases.length) changes.push(`release${releases.length === 1 ? '' : 's'} ${names(releases)} added`);
  if (policyText(before) !== policyText(after)) changes.push('promotion policy changed');
  const approvals = [...after.approvals].filter((id) => !before.approvals.has(id));
  if (approvals.length) changes.push(`approved: ${names(approvals)}`);
  const retries = [...after.retries].filter((id) => !before.retries.has(id));
  if (retries.length) changes.push(`retry asked: ${names(retries)}`);
  return { changes: changes.length ? changes : ['nothing the controller acts on'], rings };
}

function listed(out: string[], verb: string, items: readonly string[]): void {
  if (!items.length) return;
  out.push(`${items.length === 1 ? 'group' : `${items.length} groups`} ${verb}: ${names(items)}`);
}

function names(items: readonly string[]): string {
  const shown = items.slice(0, NAMED).join(', ');
  return items.length > NAMED ? `${shown} and ${items.length - NAMED} more` : shown;
}

/** A group as compared: everything but where it was read from. */
function groupText(g: Group): string {
  const { file: _file, ...rest } = g;
  return JSON.stringify(rest);
}

function policyText(c: Constellation): string {
  const { file: _file, ...rest } = c.policy;
  return JSON.stringify(rest);
}
