/**
 * The remote a GitMirror follows: its address as git takes it, and the
 * redaction that keeps credentials written into that address out of every
 * message, error and log line.
 */
import { resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';

/** A remote address, normalised, with what must never be printed. */
export interface RemoteAddress {
  /** What git is given: a URL, an scp-like `host:path`, or an absolute path. */
  readonly url: string;
  /** The address fit for messages: credentials removed. */
  readonly label: string;
  /** Literal credential strings to scrub from any text, longest first. */
  readonly secrets: readonly string[];
}

/** `scheme://` then the user-info up to the last `@` before the host; quotes and spaces end it. */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/\s'"]*@/gi;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** git reads `host:path` (a colon before any slash) as ssh. */
const SCP_LIKE = /^[^/]*:/;
/**
 * Literal credentials shorter than this are left to the URL pattern alone:
 * scrubbing a user name such as "git" everywhere would garble every message,
 * while tokens and passwords worth hiding are longer.
 */
const MIN_LITERAL_SECRET = 8;

/**
 * Parses the remote a mirror follows. A local path is made absolute (git would
 * otherwise resolve it from inside the mirror folder). Throws
 * ConfigurationError for an empty remote or one starting with "-", which git
 * would read as an option.
 */
export function parseRemote(remote: string): RemoteAddress {
  const trimmed = remote.trim();
  if (!trimmed || trimmed.startsWith('-')) {
    throw new ConfigurationError(
      'BadRemote',
      `The git remote "${redactUrls(trimmed)}" is not usable: give a URL, host:path or a folder path.`,
    );
  }
  const isUrl = URL_SCHEME.test(trimmed);
  const url = isUrl || SCP_LIKE.test(trimmed) ? trimmed : resolve(trimmed);
  return { url, label: redactUrls(url), secrets: isUrl ? secretsOf(url) : [] };
}

/**
 * True when `repo` names a remote git reaches over a transport (a URL such as
 * `https://…` or `file://…`, or scp-like `host:path`) rather than a folder.
 */
export function isRemoteAddress(repo: string): boolean {
  const trimmed = repo.trim();
  return URL_SCHEME.test(trimmed) || SCP_LIKE.test(trimmed);
}

/** Removes the user-info (`user:password@`) from every URL in `text`. */
export function redactUrls(text: string): string {
  return text.replace(USERINFO, '$1');
}

/** Redacts `text` for `remote`: URL user-info, then the remote's own credentials wherever they appear. */
export function redact(remote: RemoteAddress, text: string): string {
  let out = redactUrls(text);
  for (const secret of remote.secrets) out = out.split(secret).join('***');
  return out;
}

/** Two addresses name the same remote when they differ at most in credentials. */
export function sameRemote(a: string, b: string): boolean {
  const strip = (s: string) => redactUrls(s).replace(/\/+$/, '');
  return strip(a) === strip(b);
}

function secretsOf(url: string): string[] {
  const at = /^[a-z][a-z0-9+.-]*:\/\/([^/\s'"]*)@/i.exec(url);
  const userinfo = at?.[1];
  if (!userinfo) return [];
  const colon = userinfo.indexOf(':');
  // A lone user-info is commonly a token (https://TOKEN@host), so it counts as secret too.
  const password = colon < 0 ? userinfo : userinfo.slice(colon + 1);
  const found = new Set([userinfo, password, safeDecode(password)]);
  return [...found].filter((s) => s.length >= MIN_LITERAL_SECRET).sort((x, y) => y.length - x.length);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
