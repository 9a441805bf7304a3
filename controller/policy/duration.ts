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

/** Formats milliseconds the way durations are written in policy files (`3d4h`, `90m` -> `1h30m`, `0m`). */
export function formatDuration(ms: number): string {
  let minutes = Math.round(ms / MINUTE);
  const days = Math.floor(minutes / 1440);
  minutes -= days * 1440;
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  const text = `${days ? `${days}d` : ''}${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}`;
  return text || '0m';
}
