/**
 * Helpers for tests that drive the local GitHub server with a real Octokit client.
 * Test code only.
 */
import { Octokit } from '@octokit/rest';
import type { GitHubServer } from './github-server.js';

/** Octokit logs every failed request with console.error by default; tests keep quiet. */
export const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

/** A plain Octokit (no throttling) pointed at the fake. */
export function octokitFor(server: GitHubServer, auth = 'test-token'): Octokit {
  return new Octokit({ auth, baseUrl: server.url, log: silentLog });
}

/** What a rejected Octokit request carries that tests look at (an `@octokit/request-error` RequestError). */
export interface HttpFailure {
  status: number;
  message: string;
  response?: { data: unknown; headers: Record<string, string | number | undefined> };
}

/** The rejection of `promise`; fails the test when it resolves instead. */
export async function rejection(promise: Promise<unknown>): Promise<HttpFailure> {
  try {
    await promise;
  } catch (err) {
    return err as HttpFailure;
  }
  throw new Error('expected the request to fail, but it succeeded');
}

/** A distinct fake 40-hex commit sha per label. */
export function sha(label: string): string {
  let hex = '';
  for (const ch of label) hex += ch.charCodeAt(0).toString(16).padStart(2, '0');
  return hex.padEnd(40, '0').slice(0, 40);
}

/** Sends `route` without Octokit's parameter types, to send what GitHub must refuse. */
export function sendRaw(gh: Octokit, route: string, params: Record<string, unknown>) {
  return gh.request(route, params);
}
