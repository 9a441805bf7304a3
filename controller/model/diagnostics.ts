/**
 * Diagnostics: what is wrong with repository content, where, and which rule
 * said so. Every check of the model reports through these, never by throwing.
 */

/** How bad a finding is: errors fail validation, warnings do not. */
export type Severity = 'error' | 'warning';

/** One finding about repository content, located at file:line:column (1-based). */
export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly severity: Severity;
  /** A stable kebab-case id of the rule, for example `unknown-ring`. */
  readonly rule: string;
  readonly message: string;
}

/** A place in a file, 1-based. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Formats a diagnostic as one line: `path:line:column: message [rule]` (warnings say so). */
export function formatDiagnostic(d: Diagnostic): string {
  const level = d.severity === 'warning' ? 'warning: ' : '';
  return `${d.file}:${d.line}:${d.column}: ${level}${d.message} [${d.rule}]`;
}

/** Orders diagnostics by file, line, column, then rule, so output is stable. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule);
}

/** Collects diagnostics as checks run. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];

  /** Records an error at `at`. */
  error(at: SourcePosition, rule: string, message: string): void {
    this.items.push({ ...at, severity: 'error', rule, message });
  }

  /** Records a warning at `at`. */
  warn(at: SourcePosition, rule: string, message: string): void {
    this.items.push({ ...at, severity: 'warning', rule, message });
  }

  /** True when at least one error was recorded. */
  hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  /** The diagnostics in stable order. */
  sorted(): Diagnostic[] {
    return [...this.items].sort(compareDiagnostics);
  }
}

/** The start of a file, for findings about a whole file. */
export function atFileStart(file: string): SourcePosition {
  return { file, line: 1, column: 1 };
}
