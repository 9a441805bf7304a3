/**
 * The fault file of the sim provider (`--sim-faults FILE`): which group fails
 * at which step, and how. The format is fixed, because scripts outside the
 * project write it:
 *
 * ```yaml
 * faults:
 *   - { group: globex, step: verify, kind: permanent }             # every attempt fails
 *   - { group: initech, step: prepare, kind: transient, times: 2 } # the first two attempts fail
 *   - { group: acme, step: observe, kind: slow, duration: 10m }    # each call there takes 10 minutes
 *   - { group: umbrella, step: observe, kind: metric, value: 0.05 } # the health analysis measures 0.05
 *   - { group: hooli, step: verify, kind: no-data }                # the health analysis measures nothing
 * ```
 *
 * `metric` and `no-data` change only the health analysis's measurements (every
 * query of the step), for rehearsing a failing or inconclusive analysis
 * without Prometheus; the step's other calls go on as usual.
 *
 * A slow call waits on the controller's clock (so `--sim-speed` shortens it,
 * and a stop cuts it short, leaving the step to run again at the next start)
 * before it does its work.
 */
import { readFile } from 'node:fs/promises';
import { ConfigurationError } from '../../errors.js';
import { DiagnosticSink, atFileStart, formatDiagnostic } from '../../model/diagnostics.js';
import { DEFAULT_PARSE_LIMITS, type ParsedFile, locate, parseYamlFile } from '../../model/parse.js';
import { STEPS, type StepName } from '../../engine/step-names.js';
import { parseDuration } from '../../policy/duration.js';

/**
 * How an injected fault fails: `transient` is worth retrying, `permanent`
 * fails the step, `slow` fails nothing but makes each call take `duration`;
 * `metric` makes each measurement of the health analysis `value`, `no-data`
 * makes each one come back without a value.
 */
export type FaultKind = 'permanent' | 'transient' | 'slow' | 'metric' | 'no-data';

const KINDS: readonly FaultKind[] = ['permanent', 'transient', 'slow', 'metric', 'no-data'];
/** The kinds that change measurements only, at the steps that measure. */
export const MEASUREMENT_KINDS: readonly FaultKind[] = ['metric', 'no-data'];
/** The steps that call the infrastructure, where an injected fault can fire: all but the gate. */
const FAULT_STEPS: readonly StepName[] = STEPS.filter((s) => s !== 'gate');
const FAULT_KEYS = ['group', 'step', 'kind', 'times', 'duration', 'value', 'message'] as const;

/** One injected fault: calls made by `group` during `step` fail. */
export interface Fault {
  readonly group: string;
  readonly step: StepName;
  readonly kind: FaultKind;
  /** Only the first `times` attempts of the step fail (or are slow); absent means every attempt. */
  readonly times?: number;
  /** For `slow`: how long each call of the step takes, in milliseconds of the controller's clock. */
  readonly durationMs?: number;
  /** For `metric`: what each measurement of the health analysis gives. */
  readonly value?: number;
  /** Added to the error message, to tell rehearsed failures apart. */
  readonly message?: string;
}

/** Every fault of a fault file, at most one per (group, step). */
export interface FaultPlan {
  readonly faults: readonly Fault[];
}

/** A plan that injects nothing. */
export const NO_FAULTS: FaultPlan = Object.freeze({ faults: Object.freeze([]) });

/** The fault for `group` at `step`, if the plan has one. */
export function findFault(plan: FaultPlan, group: string, step: StepName): Fault | undefined {
  return plan.faults.find((f) => f.group === group && f.step === step);
}

/**
 * Reads and parses the fault file at `path`. Throws ConfigurationError when
 * the file is missing, too large, or invalid (see `parseFaults`).
 */
export async function loadFaults(path: string): Promise<FaultPlan> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${String(code)})`;
    throw new ConfigurationError('FaultFileUnreadable', `fault file ${path} ${what}; check --sim-faults`, {
      cause: err,
    });
  }
  return parseFaults(path, bytes);
}

/**
 * Parses the bytes of a fault file; `path` only names the file in messages.
 * Pure. Throws ConfigurationError whose message lists every problem, one per
 * line, as `file:line:column: message [rule]`.
 */
export function parseFaults(path: string, bytes: Buffer): FaultPlan {
  const sink = new DiagnosticSink();
  if (bytes.length > DEFAULT_PARSE_LIMITS.maxFileBytes) {
    sink.error(
      atFileStart(path),
      'file-too-large',
      `file is ${bytes.length} bytes, over the limit of ${DEFAULT_PARSE_LIMITS.maxFileBytes}; list fewer faults`,
    );
  }
  const file = sink.hasErrors() ? undefined : parseYamlFile(path, bytes, DEFAULT_PARSE_LIMITS, sink);
  const faults = file ? readPlan(file, sink) : [];
  if (sink.hasErrors()) {
    throw new ConfigurationError('InvalidFaultFile', sink.sorted().map(formatDiagnostic).join('\n'));
  }
  return Object.freeze({ faults: Object.freeze(faults) });
}

function readPlan(file: ParsedFile, sink: DiagnosticSink): Fault[] {
  const data = file.data;
  if (!isRecord(data)) {
    sink.error(locate(file, []), 'wrong-type', 'a fault file is a mapping with one key, "faults"');
    return [];
  }
  for (const key of Object.keys(data).filter((k) => k !== 'faults')) {
    sink.error(locate(file, [key], 'key'), 'unknown-key', `unknown key "${key}"; the only key is "faults"`);
  }
  if (!('faults' in data)) {
    sink.error(locate(file, []), 'missing-key', 'key "faults" is missing; write "faults: []" for none');
    return [];
  }
  if (!Array.isArray(data.faults)) {
    sink.error(
      locate(file, ['faults']),
      'wrong-type',
      '"faults" must be a list; write "faults: []" for none',
    );
    return [];
  }
  const faults: Fault[] = [];
  data.faults.forEach((item: unknown, i) => {
    const fault = readFault(file, i, item, sink);
    if (!fault) return;
    if (findFault({ faults }, fault.group, fault.step)) {
      sink.error(
        locate(file, ['faults', i]),
        'duplicate-fault',
        `a fault for group ${fault.group} at step ${fault.step} is already listed; keep one`,
      );
    } else {
      faults.push(fault);
    }
  });
  return faults;
}

/** One entry of the list, or undefined after reporting what is wrong with it. */
function readFault(file: ParsedFile, i: number, item: unknown, sink: DiagnosticSink): Fault | undefined {
  const at = (key?: string, on: 'key' | 'value' = 'value') =>
    locate(file, key === undefined ? ['faults', i] : ['faults', i, key], on);
  if (!isRecord(item)) {
    sink.error(at(), 'wrong-type', 'a fault is a mapping: { group: NAME, step: STEP, kind: KIND }');
    return undefined;
  }
  const before = sink.items.length;
  for (const key of Object.keys(item).filter((k) => !(FAULT_KEYS as readonly string[]).includes(k))) {
    sink.error(at(key, 'key'), 'unknown-key', `unknown key "${key}"; a fault has ${FAULT_KEYS.join(', ')}`);
  }
  for (const key of ['group', 'step', 'kind'] as const) {
    if (!(key in item)) sink.error(at(), 'missing-key', `a fault needs "${key}"`);
  }
  const { group, step, kind, times, duration, value, message } = item;
  if (group !== undefined && (typeof group !== 'string' || group === '')) {
    sink.error(at('group'), 'wrong-type', '"group" must be the name of a group');
  }
  if (step !== undefined && !(STEPS as readonly unknown[]).includes(step)) {
    sink.error(
      at('step'),
      'unknown-step',
      `${describe(step)} is not a step; use one of ${FAULT_STEPS.join(', ')}`,
    );
  } else if (step === 'gate') {
    sink.error(
      at('step'),
      'fault-never-fires',
      `step "gate" makes no call to the infrastructure, so a fault there would never fire; ` +
        `to rehearse a gate, leave the transition unapproved. Faults fire at ${FAULT_STEPS.join(', ')}`,
    );
  }
  if (kind !== undefined && !(KINDS as readonly unknown[]).includes(kind)) {
    sink.error(
      at('kind'),
      'unknown-kind',
      `${describe(kind)} is not a fault kind; use ${KINDS.slice(0, -1).join(', ')} or ${KINDS.at(-1)}`,
    );
  }
  if (times !== undefined && !(typeof times === 'number' && Number.isSafeInteger(times) && times > 0)) {
    sink.error(at('times'), 'wrong-type', `"times" must be a whole number above 0, got ${describe(times)}`);
  }
  const durationMs = typeof duration === 'string' ? parseDuration(duration) : undefined;
  if (kind === 'slow' && duration === undefined) {
    sink.error(at(), 'missing-key', 'a slow fault needs "duration", for example duration: 10m');
  } else if (duration !== undefined && kind !== 'slow') {
    sink.error(at('duration', 'key'), 'unknown-key', '"duration" is for kind: slow only; remove it');
  } else if (duration !== undefined && !durationMs) {
    sink.error(
      at('duration'),
      'wrong-type',
      `"duration" must be a time above zero like 90m, 1h30m or 2d, got ${describe(duration)}`,
    );
  }
  if (kind === 'metric' && value === undefined) {
    sink.error(at(), 'missing-key', 'a metric fault needs "value", for example value: 0.05');
  } else if (value !== undefined && kind !== 'metric') {
    sink.error(at('value', 'key'), 'unknown-key', '"value" is for kind: metric only; remove it');
  } else if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
    sink.error(at('value'), 'wrong-type', `"value" must be a number, got ${describe(value)}`);
  }
  if ((MEASUREMENT_KINDS as readonly unknown[]).includes(kind) && step !== 'verify' && step !== 'observe') {
    sink.error(
      at('step'),
      'fault-never-fires',
      `kind: ${String(kind)} changes the health analysis's measurements, which are made at verify and observe only`,
    );
  }
  if (message !== undefined && typeof message !== 'string') {
    sink.error(at('message'), 'wrong-type', '"message" must be text');
  }
  if (sink.items.length > before) return undefined;
  return {
    group: group as string,
    step: step as StepName,
    kind: kind as FaultKind,
    ...(times === undefined ? {} : { times: times as number }),
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(value === undefined ? {} : { value: value as number }),
    ...(message === undefined ? {} : { message: message as string }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as it should be quoted in a message. */
function describe(value: unknown): string {
  return typeof value === 'string'
    ? `"${value}"`
    : value === null
      ? 'nothing'
      : String(JSON.stringify(value));
}
