const DURATION = /^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;

const MINUTE = 60_000;

/**
 * Parses a duration like `0h`, `90m`, `1h30m` or `14d` into milliseconds.
 * Returns undefined for anything else (the schemas reject those first).
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const [days, hours, minutes] = [m[1], m[2], m[3]].map((x) => Number(x ?? 0));
  return ((days! * 24 + hours!) * 60 + minutes!) * MINUTE;
}
