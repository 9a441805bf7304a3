/**
 * The commands Ringmaster tells people to run (`ringmaster approve …` in a
 * waiting reason, `ringmaster accept-history …` for a rewritten branch) are
 * written for the installed command. Printed on the console they are
 * rewritten the way this process was started, so they can be pasted as they
 * are: `npx ringmaster …` under npx or `npm start` (a clone, where npx runs
 * the package's own command), `npm run ringmaster -- …` under that script.
 * Reasons kept in the journal and written to GitHub, and JSON output, stay as they are.
 */

/** `ringmaster` before one of its commands, in a sentence. */
const TOLD = /\bringmaster (?=(?:approve|retry|recover|accept-history|status|history|plan)\b)/g;

/** How this process was started, as a person would type it again; `ringmaster` for the installed command. */
export function invocation(env: Readonly<Record<string, string | undefined>>): string {
  if (env.npm_command === 'run-script' && env.npm_lifecycle_event === 'ringmaster')
    return 'npm run ringmaster --';
  if (env.npm_command === 'exec' || env.npm_command === 'start' || env.npm_lifecycle_event === 'start')
    return 'npx ringmaster';
  return 'ringmaster';
}

/** Rewrites the commands in a printed text to `invocation(env)`. */
export function runnableCommands(
  env: Readonly<Record<string, string | undefined>>,
): (text: string) => string {
  const prefix = invocation(env);
  if (prefix === 'ringmaster') return (text) => text;
  return (text) => text.replace(TOLD, `${prefix} `);
}
