import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/*
 * The house (DESIGN.md, "The house"), enforced per folder with
 * `@typescript-eslint/no-restricted-imports` (the core rule plus
 * `allowTypeImports`). Data flows one way: source -> model -> plan -> engine
 * -> providers, with the engine writing state and status; only main.ts and
 * cli/ build adapters. Each block below names what it protects. Flat config
 * replaces a rule's options wholesale when a later block matches the same
 * file, so every block repeats the restrictions of the blocks it refines
 * (they are composed from the lists here).
 *
 * Not enforced here (the rule looks at one file's import statements only):
 * what a permitted module imports in turn, and dynamic `import()`.
 */

/** Client libraries of outside systems: built in main.ts and cli/, used only by the adapters. */
const CLIENT_LIBRARIES = {
  group: ['simple-git', '@octokit/*', '@kubernetes/*', '@aws-sdk/*'],
  message:
    'Client libraries belong to adapters; main.ts and cli/ build them, everything else receives our interfaces.',
};

/** Node's modules for files, processes and the network. */
const IO_MODULES = ['fs', 'fs/*', 'child_process', 'http', 'https', 'net'].flatMap((m) => [m, `node:${m}`]);

/**
 * Everything but main.ts and cli/ (the adapters in status/, source/, github/
 * get just this): the commands and the composition root sit on top, and
 * nothing below imports them or the HTTP server they start.
 */
const NOT_THE_TOP = [
  {
    group: ['**/cli/**', '**/main.js'],
    message:
      'cli/ and main.ts are the top of the house: nothing below imports them (pass what you need down as a parameter).',
  },
  {
    group: ['**/server/**'],
    message: 'server/ (HTTP, metrics) is built by cli/ and main.ts; nothing below imports it.',
  },
];

/**
 * The pure parts: model, plan, policy. No file system, process, network or
 * client library, no logger, and no adapter of ours. From other folders they
 * import only plain types and pure rules: state/types.js and state/records.js
 * (applied state and rollout records) and status/reporter.js (the status port
 * and the naming rules of status contexts). Those three are held to this rule
 * too, so they stay pure.
 */
const PURE = [
  ...NOT_THE_TOP,
  {
    group: IO_MODULES,
    message:
      'model, plan and policy are pure: no files, processes or network. Take a port (an interface this folder owns) as a parameter.',
  },
  {
    group: [...CLIENT_LIBRARIES.group, 'pino', 'prom-client'],
    message:
      'model, plan and policy are pure: no client library or logger. Take a port (an interface this folder owns) as a parameter.',
  },
  {
    group: ['**/source/**', '**/github/**', '**/providers/**'],
    message:
      'model, plan and policy import no adapter: own an interface here and let cli/ pass in the adapter that implements it.',
  },
  {
    group: ['**/state/**', '!**/state/types.js', '!**/state/records.js'],
    message:
      'From state/ the pure parts import only the plain types of state/types.js and state/records.js, never a store.',
  },
  {
    group: ['**/status/**', '!**/status/reporter.js'],
    message:
      'From status/ the pure parts import only status/reporter.js (the port and the naming rules), never a reporter.',
  },
  {
    group: ['**/engine/**'],
    message: 'Data flows model -> plan -> engine: the pure parts do not import the engine.',
  },
  {
    group: ['**/log.js', '**/config.js'],
    message:
      'The pure parts neither log nor read configuration: return what happened, take settings as parameters.',
  },
];

/**
 * The engine runs transitions through ports: no client library, no concrete
 * provider (providers/sim/), no GitHub adapter, and from status/ only the
 * port. It writes state through the store interfaces it is given: no file
 * system of its own, and from state/ it imports values only of the plain
 * types' modules, anything else as types (the stores live in state/).
 */
const ENGINE = [
  ...NOT_THE_TOP,
  CLIENT_LIBRARIES,
  {
    group: IO_MODULES,
    message:
      'The engine reaches files, processes and the network only through the stores and ports it is given (state/, providers/ports.js).',
  },
  {
    group: ['**/providers/**', '!**/providers/ports.js'],
    message:
      'The engine talks to providers/ports.js only; cli/ and main.ts pass in the adapter (sim or real).',
  },
  {
    group: ['**/github/**'],
    message: 'The engine does not reach GitHub: it receives a StatusReporter or another port.',
  },
  {
    group: ['**/status/**', '!**/status/reporter.js'],
    message:
      'The engine writes statuses through the StatusReporter port (status/reporter.js), never a concrete reporter.',
  },
  {
    group: ['**/state/**', '!**/state/types.js', '!**/state/records.js'],
    allowTypeImports: true,
    message:
      'The engine receives its stores (state, journal) as interfaces: import their types only; cli/ builds them.',
  },
];

/** Providers implement the engine's ports: of the engine they see types, and the step names. */
const PROVIDER = [
  ...NOT_THE_TOP,
  {
    group: ['**/engine/**', '!**/engine/step-names.js'],
    allowTypeImports: true,
    message:
      'Providers see the engine through types only (and engine/step-names.js); the engine calls them, not the other way round.',
  },
];

/**
 * State stores keep what the engine writes: of the engine they see types, and
 * the pure journal helpers of engine/journal.js (which itself imports nothing
 * at run time, so there is no cycle).
 */
const STATE = [
  ...NOT_THE_TOP,
  {
    group: ['**/engine/**', '!**/engine/journal.js'],
    allowTypeImports: true,
    message:
      'state/ sees the engine through types only (and the pure helpers of engine/journal.js): no import cycle.',
  },
];

const houseRule = (patterns) => ({
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.ringmaster/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use a union or an as-const object.' },
      ],
    },
  },
  {
    files: ['scripts/**/*.js', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  // The house. Later blocks override earlier ones for the files they match.
  {
    files: ['controller/**/*.ts'],
    ignores: ['controller/main.ts', 'controller/cli/**'],
    ...houseRule(NOT_THE_TOP),
  },
  { files: ['controller/providers/**/*.ts'], ...houseRule(PROVIDER) },
  { files: ['controller/state/**/*.ts'], ...houseRule(STATE) },
  { files: ['controller/engine/**/*.ts'], ...houseRule(ENGINE) },
  {
    files: [
      'controller/model/**/*.ts',
      'controller/plan/**/*.ts',
      'controller/policy/**/*.ts',
      // Imported by the pure parts, so pure themselves:
      'controller/state/types.ts',
      'controller/state/records.ts',
      'controller/status/reporter.ts',
    ],
    ...houseRule(PURE),
  },
);
