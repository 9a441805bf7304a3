/**
 * The rules that span files, which schemas cannot say. Each reports to the
 * sink with the position of the offending node; none throws.
 */
import { PLACEHOLDERS, movePlaceholders, unknownPlaceholders } from '../policy/analysis.js';
import type { DiagnosticSink } from './diagnostics.js';
import type { GroupRuleIndex } from './group-rule-index.js';
import { checkGroups } from './group-rules.js';
import { stem } from './layout.js';
import { type PartialModel, at, suggestRing } from './partial-model.js';
import type { PromotionPolicy, Release, Ring } from './types.js';
import { compareVersions, lineOf } from './versions.js';

export type { PartialModel } from './partial-model.js';

/**
 * Runs every cross-file rule on what could be built. With `groups`, the rules
 * about groups (the policy's rule for each group among them) are checked
 * incrementally against what that index saw at the previous check; the
 * findings are the same as without it.
 */
export function checkModel(model: PartialModel, sink: DiagnosticSink, groups?: GroupRuleIndex): void {
  checkReleases(model, sink);
  if (model.ringSet) checkRings(model, model.ringSet, sink);
  if (model.ringSet && model.policy) checkPolicy(model, model.ringSet.rings, model.policy, sink);
  if (groups) groups.check(model, sink);
  else checkGroups(model, sink);
}

function checkReleases(model: PartialModel, sink: DiagnosticSink): void {
  for (const r of model.releases.values()) {
    if (stem(r.file) !== r.version) {
      sink.error(
        at(model, r.file, ['version']),
        'file-name-mismatch',
        `release ${r.version} must be in groups/releases/${r.version}.yaml; rename the file or fix the version`,
      );
    }
    if (!r.version.startsWith(`${r.line}.`)) {
      sink.error(
        at(model, r.file, ['line']),
        'release-line-mismatch',
        `version ${r.version} is not on line ${r.line}; the line is the version's YEAR.MONTH`,
      );
    }
    if (r.backportOf !== undefined && compareVersions(lineOf(r.backportOf), r.line) <= 0) {
      sink.error(
        at(model, r.file, ['backportOf']),
        'backport-order',
        `backportOf ${r.backportOf} must name a release on a newer line than ${r.line}: a back-port carries a fix back to an older line`,
      );
    }
  }
}

function checkRings(
  model: PartialModel,
  ringSet: NonNullable<PartialModel['ringSet']>,
  sink: DiagnosticSink,
): void {
  const seen = new Set<string>();
  let previous: { ring: Ring; release?: Release } | undefined;
  for (const ring of ringSet.rings) {
    if (seen.has(ring.name)) {
      sink.error(
        at(model, ringSet.file, ['rings', ring.index, 'name']),
        'duplicate-ring',
        `ring "${ring.name}" is listed twice; ring names must be unique`,
      );
    }
    seen.add(ring.name);
    const release = model.releases.get(ring.release);
    if (!release && !model.failed.has(`groups/releases/${ring.release}.yaml`)) {
      sink.error(
        at(model, ringSet.file, ['rings', ring.index, 'release']),
        'unknown-release',
        `ring "${ring.name}" asks for release ${ring.release}, which has no file groups/releases/${ring.release}.yaml; add it or pick a described release`,
      );
    }
    const aheadOfPrevious =
      previous !== undefined && compareVersions(ring.release, previous.ring.release) > 0;
    if (previous && aheadOfPrevious) {
      sink.error(
        at(model, ringSet.file, ['rings', ring.index, 'release']),
        'ring-order',
        `ring "${ring.name}" runs ${ring.release}, newer than the earlier ring "${previous.ring.name}" (${previous.ring.release}); a release reaches a later ring only after the earlier ones`,
      );
    }
    // A ring ahead of the earlier one usually also has a newer layout: report the cause once.
    if (
      !aheadOfPrevious &&
      previous?.release &&
      release &&
      release.schemaVersion > previous.release.schemaVersion
    ) {
      sink.error(
        at(model, ringSet.file, ['rings', ring.index, 'release']),
        'schema-version-backwards',
        `ring "${ring.name}" needs data layout ${release.schemaVersion} but the earlier ring "${previous.ring.name}" has ${previous.release.schemaVersion}; the data layout never goes backwards along the ring order`,
      );
    }
    previous = { ring, release };
  }
}

function checkPolicy(
  model: PartialModel,
  rings: readonly Ring[],
  policy: PromotionPolicy,
  sink: DiagnosticSink,
): void {
  const names = rings.map((r) => r.name);
  if (policy.order.join(',') !== names.join(',')) {
    sink.error(
      at(model, policy.file, ['order']),
      'policy-order',
      `order [${policy.order.join(', ')}] does not match the rings of groups/rings.yaml [${names.join(', ')}]; list the same rings in the same order`,
    );
  }
  for (const name of names) {
    if (!policy.rings[name]) {
      sink.error(
        at(model, policy.file, ['rings'], 'key'),
        'policy-missing-ring',
        `ring "${name}" has no rules under rings:; add its bake time and approvals`,
      );
    }
  }
  for (const [name, ring] of Object.entries(policy.rings)) {
    const steps = ring.traffic;
    if (steps.at(-1) !== 100 || steps.some((w, i) => i > 0 && w <= steps[i - 1]!)) {
      sink.error(
        at(model, policy.file, ['rings', name, 'traffic']),
        'traffic-steps',
        `traffic [${steps.join(', ')}] of ring "${name}" must rise at every step and end at 100, for example [10, 50, 100]`,
      );
    }
    if (!names.includes(name)) {
      sink.error(
        at(model, policy.file, ['rings', name], 'key'),
        'unknown-ring',
        `rules for ring "${name}", which groups/rings.yaml does not define; ${suggestRing(name, rings)}`,
      );
    }
  }
  policy.health.analysis.forEach((q, i) => {
    const unknown = unknownPlaceholders(q.query);
    if (unknown.length) {
      sink.error(
        at(model, policy.file, ['health', 'analysis', i, 'query']),
        'unknown-placeholder',
        `query "${q.name}" uses ${unknown.map((n) => `{{${n}}}`).join(', ')}, which is not a placeholder; use ${PLACEHOLDERS.map((n) => `{{${n}}}`).join(', ')}`,
      );
    }
    const move = movePlaceholders(q.query);
    if (move.length && q.during.some((d) => d !== 'replicate')) {
      sink.error(
        at(model, policy.file, ['health', 'analysis', i, 'query']),
        'unknown-placeholder',
        `query "${q.name}" uses ${move.map((n) => `{{${n}}}`).join(', ')}, which name a tenant move's databases and mean something only while its replica is judged; set during: [replicate]`,
      );
    }
    if (q.min === undefined && q.max === undefined) {
      sink.error(
        at(model, policy.file, ['health', 'analysis', i, 'name']),
        'analysis-bound',
        `query "${q.name}" has no bound; add max: (the highest passing value) or min: (the lowest)`,
      );
    } else if (q.min !== undefined && q.max !== undefined && q.min > q.max) {
      sink.error(
        at(model, policy.file, ['health', 'analysis', i, 'min']),
        'analysis-bound',
        `query "${q.name}" passes nothing: min ${q.min} is above max ${q.max}`,
      );
    }
    if (policy.health.analysis.findIndex((other) => other.name === q.name) < i) {
      sink.error(
        at(model, policy.file, ['health', 'analysis', i, 'name']),
        'duplicate-name',
        `query name "${q.name}" is used twice; statuses name queries, so give each its own`,
      );
    }
  });
  policy.freeze.forEach((f, i) => {
    if (f.from > f.to) {
      sink.error(
        at(model, policy.file, ['freeze', i, 'to']),
        'freeze-range',
        `freeze "${f.name}" ends (${f.to}) before it starts (${f.from})`,
      );
    }
    (f.rings ?? []).forEach((r, j) => {
      if (!names.includes(r)) {
        sink.error(
          at(model, policy.file, ['freeze', i, 'rings', j]),
          'unknown-ring',
          `freeze "${f.name}" names ring "${r}", which is not defined; ${suggestRing(r, rings)}`,
        );
      }
    });
  });
}
