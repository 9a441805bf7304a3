/**
 * How the command line marks states on a terminal: a symbol and a colour per
 * state, so that a held group stands out in a long table. Piped output, a
 * dumb terminal and `NO_COLOR` (https://no-color.org: any non-empty value)
 * get plain words, as scripts and logs want them.
 */

export interface Style {
  /** Whether states get symbols and colours. */
  readonly rich: boolean;
  /** `state` as shown in a table cell: `✓ ready` on a terminal, `ready` otherwise. */
  stateText(state: string): string;
  /** Colours `text` (already padded) as `state` is coloured; unchanged when plain. */
  paint(state: string, text: string): string;
}

const ESC = '\u001b[';
const RESET = `${ESC}0m`;

/** Symbol and SGR colour code of each state (the status pages use the same symbols). */
const LOOKS: Readonly<Record<string, readonly [string, string]>> = {
  ready: ['✓', '32'],
  done: ['✓', '32'],
  succeeded: ['✓', '32'],
  progressing: ['▶', '34'],
  rolling: ['▶', '34'],
  waiting: ['∥', '33'],
  suspended: ['○', '2'],
  held: ['✗', '31;1'],
  'rolled-back': ['✗', '31;1'],
  halted: ['■', '31;1'],
  emergency: ['‼', '41;97;1'],
};

/** Plain words: piped output, NO_COLOR, a dumb terminal. */
export const PLAIN: Style = {
  rich: false,
  stateText: (state) => state,
  paint: (_state, text) => text,
};

/** Symbols and colours, for a terminal. */
export const RICH: Style = {
  rich: true,
  stateText: (state) => (LOOKS[state] ? `${LOOKS[state][0]} ${state}` : state),
  paint: (state, text) => (LOOKS[state] ? `${ESC}${LOOKS[state][1]}m${text}${RESET}` : text),
};

/** The style for an output that is (or not) a terminal, under `env`. */
export function pickStyle(isTerminal: boolean, env: Readonly<Record<string, string | undefined>>): Style {
  if (!isTerminal || (env.NO_COLOR ?? '') !== '' || env.TERM === 'dumb') return PLAIN;
  return RICH;
}
