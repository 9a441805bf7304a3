import type { Style } from './style.js';
import type { SimpleGit } from 'simple-git';
import type { SchemaValidator } from '../schema/validator.js';
import type { EnvConfig } from '../config.js';

/** Where a command writes: stdout for results, stderr for trouble. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** What every command receives from the composition root. */
export interface CliContext {
  readonly io: CliIo;
  readonly env: EnvConfig;
  /**
   * Opens a git repository in a folder, with `config` as git's `-c` settings
   * (for example the identity of the controller's own commits). Throws
   * ConfigurationError when it is not one.
   */
  openGit(dir: string, options?: { readonly config?: readonly string[] }): Promise<SimpleGit>;
  /**
   * Makes git clients on folders that exist, without checking they are
   * repositories (a mirror being made).
   */
  gitFactory(): Promise<(dir: string) => SimpleGit>;
  /** The compiled schemas (compiled once, on first use). */
  schemas(): SchemaValidator;
  /** The current time. */
  now(): Date;
  /** How states are marked in what is printed: symbols and colours on a terminal, plain words otherwise. */
  readonly style: Style;
  /**
   * Text for people with the commands in it written as this process was
   * started (`npx ringmaster approve …`; see invocation.ts). Never for JSON:
   * that says what the controller's API says.
   */
  runnable(text: string): string;
}

/** Exit codes: 0 clean, 1 findings (invalid content, forbidden change), 2 usage or operational error. */
export const EXIT = { ok: 0, findings: 1, failure: 2 } as const;
