/**
 * Who claims each key of one kind (a tenant id, a host, a database, a
 * namespace), kept from one check to the next. The first claim in model
 * order owns the key and every later claim is a finding. Claims are added
 * and removed as groups come and go; `settle` then re-orders and re-reports
 * only the keys those changes touched.
 */
import { type Diagnostic, DiagnosticSink } from './diagnostics.js';
import type { Claim } from './group-checks.js';
import type { Group } from './types.js';

/** Reports `claim` on `key`, which `owner` holds. */
export type ReportTaken = (key: string, owner: Claim, claim: Claim, sink: DiagnosticSink) => void;

/** A key whose owner changed in a settle: the claims before and after (undefined: nobody). */
export interface OwnerChange {
  readonly key: string;
  readonly before?: Claim;
  readonly after?: Claim;
}

/** The claims on the keys of one kind, for one GroupRuleIndex. */
export class ClaimTable {
  // Nearly every key has one claim, stored bare: 100,000 one-element arrays would cost memory and time.
  readonly #claims = new Map<string, Claim | Claim[]>();
  /** Keys changed since the last settle, with their owner before the first change. */
  readonly #touched = new Map<string, Claim | undefined>();
  readonly #findings = new Map<string, readonly Diagnostic[]>();

  /** The claim owning `key`, as of the last settle. */
  owner(key: string): Claim | undefined {
    const claims = this.#claims.get(key);
    return Array.isArray(claims) ? claims[0] : claims;
  }

  add(key: string, claim: Claim): void {
    this.#touch(key);
    const claims = this.#claims.get(key);
    if (claims === undefined) this.#claims.set(key, claim);
    else if (Array.isArray(claims)) claims.push(claim);
    else this.#claims.set(key, [claims, claim]);
  }

  /** Removes the claim of `group`'s item `index` on `key`. */
  remove(key: string, group: Group, index: number): void {
    this.#touch(key);
    const claims = this.#claims.get(key);
    const isIt = (c: Claim) => c.group === group && c.index === index;
    if (claims === undefined) return;
    if (!Array.isArray(claims)) {
      if (isIt(claims)) this.#claims.delete(key);
      return;
    }
    const at = claims.findIndex(isIt);
    if (at >= 0) claims.splice(at, 1);
  }

  /**
   * Puts the claims on each touched key in model order (`rankOf` gives a
   * group's position), reports every claim after the first, and returns the
   * keys whose owner changed. Keys not touched must still be in order: the
   * caller starts over when the relative order of the groups changed.
   */
  settle(rankOf: (group: Group) => number, report: ReportTaken): OwnerChange[] {
    const changes: OwnerChange[] = [];
    for (const [key, before] of this.#touched) {
      let claims = this.#claims.get(key);
      if (Array.isArray(claims) && claims.length <= 1) {
        claims = claims[0];
        if (claims) this.#claims.set(key, claims);
        else this.#claims.delete(key);
      }
      if (Array.isArray(claims)) {
        claims.sort((a, b) => rankOf(a.group) - rankOf(b.group) || a.index - b.index);
        const sink = new DiagnosticSink();
        for (let i = 1; i < claims.length; i++) report(key, claims[0]!, claims[i]!, sink);
        this.#findings.set(key, sink.items);
      } else this.#findings.delete(key);
      const after = Array.isArray(claims) ? claims[0] : claims;
      if (before?.group !== after?.group || before?.index !== after?.index)
        changes.push({ key, before, after });
    }
    this.#touched.clear();
    return changes;
  }

  /** Appends the findings of the last settle to `into`. */
  reportTo(into: Diagnostic[]): void {
    for (const findings of this.#findings.values()) into.push(...findings);
  }

  clear(): void {
    this.#claims.clear();
    this.#touched.clear();
    this.#findings.clear();
  }

  #touch(key: string): void {
    if (!this.#touched.has(key)) this.#touched.set(key, this.owner(key));
  }
}
