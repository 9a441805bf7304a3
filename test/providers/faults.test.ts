import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../../controller/errors.js';
import { findFault, loadFaults, parseFaults } from '../../controller/providers/sim/faults.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const FILE = 'faults.yaml';

function parse(text: string) {
  return parseFaults(FILE, Buffer.from(text));
}

/** The problems a bad fault file is reported with, one per line. */
function problemsOf(text: string): string[] {
  try {
    parse(text);
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    expect(err.reason).toBe('InvalidFaultFile');
    return err.message.split('\n');
  }
  throw new Error('the fault file was accepted');
}

describe('parseFaults', () => {
  it('reads the documented example', () => {
    const plan = parse(
      [
        '# --sim-faults FILE',
        'faults:',
        '  - { group: globex, step: verify, kind: permanent }            # every attempt fails',
        '  - { group: initech, step: prepare, kind: transient, times: 2 } # the first two attempts fail',
      ].join('\n'),
    );
    expect(plan.faults).toEqual([
      { group: 'globex', step: 'verify', kind: 'permanent' },
      { group: 'initech', step: 'prepare', kind: 'transient', times: 2 },
    ]);
  });

  it('reads block style, times on a permanent fault and a message', () => {
    const plan = parse(
      'faults:\n  - group: globex\n    step: cutover\n    kind: permanent\n    times: 1\n    message: mesh down\n',
    );
    expect(plan.faults).toEqual([
      { group: 'globex', step: 'cutover', kind: 'permanent', times: 1, message: 'mesh down' },
    ]);
  });

  it('reads a slow fault with its duration, and times on it', () => {
    const plan = parse(
      'faults:\n  - { group: acme, step: observe, kind: slow, duration: 10m }\n  - { group: acme, step: prepare, kind: slow, duration: 1h30m, times: 1 }\n',
    );
    expect(plan.faults).toEqual([
      { group: 'acme', step: 'observe', kind: 'slow', durationMs: 600_000 },
      { group: 'acme', step: 'prepare', kind: 'slow', durationMs: 5_400_000, times: 1 },
    ]);
  });

  it('accepts an empty list', () => {
    expect(parse('faults: []\n')).toEqual({ faults: [] });
  });

  it.each([
    [
      'an unknown key in a fault',
      'faults:\n  - { group: a, step: verify, kind: permanent, tiems: 2 }\n',
      'faults.yaml:2:48: unknown key "tiems"; a fault has group, step, kind, times, duration, value, message [unknown-key]',
    ],
    [
      'an unknown step',
      'faults:\n  - { group: a, step: verfy, kind: permanent }\n',
      'faults.yaml:2:23: "verfy" is not a step; use one of validate, prepare, verify, cutover, replicate, promote, observe, finalize [unknown-step]',
    ],
    [
      'a fault at the gate, where nothing could make it fire',
      'faults:\n  - { group: a, step: gate, kind: permanent }\n',
      'faults.yaml:2:23: step "gate" makes no call to the infrastructure, so a fault there would never fire; to rehearse a gate, leave the transition unapproved. Faults fire at validate, prepare, verify, cutover, replicate, promote, observe, finalize [fault-never-fires]',
    ],
    [
      'an unknown kind',
      'faults:\n  - group: a\n    step: verify\n    kind: flaky\n',
      'faults.yaml:4:11: "flaky" is not a fault kind; use permanent, transient, slow, metric or no-data [unknown-kind]',
    ],
    [
      'times of zero',
      'faults:\n  - { group: a, step: verify, kind: transient, times: 0 }\n',
      'faults.yaml:2:55: "times" must be a whole number above 0, got 0 [wrong-type]',
    ],
    [
      'times as text',
      'faults:\n  - { group: a, step: verify, kind: transient, times: "2" }\n',
      'faults.yaml:2:55: "times" must be a whole number above 0, got "2" [wrong-type]',
    ],
    [
      'a group that is not text',
      'faults:\n  - { group: [a], step: verify, kind: transient }\n',
      'faults.yaml:2:14: "group" must be the name of a group [wrong-type]',
    ],
    [
      'a message that is not text',
      'faults:\n  - { group: a, step: verify, kind: transient, message: 3 }\n',
      'faults.yaml:2:57: "message" must be text [wrong-type]',
    ],
    [
      'a slow fault without a duration',
      'faults:\n  - { group: a, step: observe, kind: slow }\n',
      'faults.yaml:2:5: a slow fault needs "duration", for example duration: 10m [missing-key]',
    ],
    [
      'a duration on a fault that is not slow',
      'faults:\n  - { group: a, step: verify, kind: permanent, duration: 5m }\n',
      'faults.yaml:2:48: "duration" is for kind: slow only; remove it [unknown-key]',
    ],
    [
      'a duration that is not one',
      'faults:\n  - { group: a, step: verify, kind: slow, duration: 10s }\n',
      'faults.yaml:2:53: "duration" must be a time above zero like 90m, 1h30m or 2d, got "10s" [wrong-type]',
    ],
    [
      'a missing kind',
      'faults:\n  - { group: a, step: verify }\n',
      'faults.yaml:2:5: a fault needs "kind" [missing-key]',
    ],
    [
      'a fault that is not a mapping',
      'faults:\n  - globex\n',
      'faults.yaml:2:5: a fault is a mapping: { group: NAME, step: STEP, kind: KIND } [wrong-type]',
    ],
    [
      'faults that are not a list',
      'faults:\n  group: a\n',
      'faults.yaml:2:3: "faults" must be a list; write "faults: []" for none [wrong-type]',
    ],
    [
      'a missing faults key',
      'fault: []\n',
      'faults.yaml:1:1: unknown key "fault"; the only key is "faults" [unknown-key]',
    ],
    [
      'a file that is not a mapping',
      '- { group: a, step: verify, kind: permanent }\n',
      'faults.yaml:1:1: a fault file is a mapping with one key, "faults" [wrong-type]',
    ],
    [
      'two faults for one group and step',
      'faults:\n  - { group: a, step: verify, kind: permanent }\n  - { group: a, step: verify, kind: transient }\n',
      'faults.yaml:3:5: a fault for group a at step verify is already listed; keep one [duplicate-fault]',
    ],
    [
      'a YAML syntax error',
      'faults:\n  - { group: a, step: verify\n',
      expect.stringMatching(/^faults\.yaml:3:1: YAML syntax error: .* \[yaml-syntax\]$/),
    ],
    [
      'an empty file',
      '',
      'faults.yaml:1:1: file holds no YAML document; remove it or give it content [empty-file]',
    ],
  ])('reports %s at its place', (_name, text, expected) => {
    expect(problemsOf(text)).toContainEqual(expected);
  });

  it('reads metric and no-data faults, and refuses them where nothing is measured', () => {
    expect(parse('faults:\n  - { group: a, step: observe, kind: metric, value: 0.05 }\n').faults).toEqual([
      { group: 'a', step: 'observe', kind: 'metric', value: 0.05 },
    ]);
    expect(
      problemsOf(
        'faults:\n  - { group: a, step: observe, kind: metric }\n  - { group: b, step: prepare, kind: no-data }\n  - { group: c, step: verify, kind: slow, duration: 1m, value: 2 }\n',
      ),
    ).toEqual([
      'faults.yaml:2:5: a metric fault needs "value", for example value: 0.05 [missing-key]',
      expect.stringMatching(
        /^faults\.yaml:3:23: kind: no-data changes the health analysis's measurements, which are made at verify and observe only \[fault-never-fires\]$/,
      ),
      'faults.yaml:4:57: "value" is for kind: metric only; remove it [unknown-key]',
    ]);
  });

  it('lists every problem, one per line, in file order', () => {
    const problems = problemsOf(
      'faults:\n  - { group: a, step: nope, kind: permanent }\n  - { group: b, step: verify, kind: odd, extra: 1 }\n',
    );
    expect(problems).toEqual([
      'faults.yaml:2:23: "nope" is not a step; use one of validate, prepare, verify, cutover, replicate, promote, observe, finalize [unknown-step]',
      'faults.yaml:3:37: "odd" is not a fault kind; use permanent, transient, slow, metric or no-data [unknown-kind]',
      'faults.yaml:3:42: unknown key "extra"; a fault has group, step, kind, times, duration, value, message [unknown-key]',
    ]);
  });

  it('reports a missing faults key when the file has none', () => {
    expect(problemsOf('{}\n')).toEqual([
      'faults.yaml:1:1: key "faults" is missing; write "faults: []" for none [missing-key]',
    ]);
  });
});

describe('findFault', () => {
  it('finds the fault of one group and step only', () => {
    const plan = parse('faults:\n  - { group: globex, step: verify, kind: permanent }\n');
    expect(findFault(plan, 'globex', 'verify')).toEqual({
      group: 'globex',
      step: 'verify',
      kind: 'permanent',
    });
    expect(findFault(plan, 'globex', 'observe')).toBeUndefined();
    expect(findFault(plan, 'initech', 'verify')).toBeUndefined();
  });
});

describe('loadFaults', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('reads a fault file from disk and names it in problems', async () => {
    const path = join(dir, 'faults.yaml');
    await writeFile(path, 'faults:\n  - { group: initech, step: prepare, kind: transient, times: 2 }\n');
    expect(await loadFaults(path)).toEqual({
      faults: [{ group: 'initech', step: 'prepare', kind: 'transient', times: 2 }],
    });
    await writeFile(path, 'faults:\n  - { group: initech, step: deploy, kind: transient }\n');
    await expect(loadFaults(path)).rejects.toThrow(`${path}:2:29: "deploy" is not a step`);
  });

  it('says which file is missing', async () => {
    const path = join(dir, 'nope.yaml');
    const err: unknown = await loadFaults(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).message).toBe(`fault file ${path} does not exist; check --sim-faults`);
  });
});
