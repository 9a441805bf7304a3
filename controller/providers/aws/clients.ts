/**
 * One AWS SDK client per region, made on first use and kept for the life of
 * the controller: a client holds a connection pool and a credential cache, so
 * making one per call would waste both. The factory the composition root
 * passes decides everything else; credentials (the SDK's default chain) and
 * endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_RDS,
 * AWS_ENDPOINT_URL_SECRETS_MANAGER) are read by the SDK itself, not here.
 */

/** Clients of one AWS service, one per region. */
export interface RegionClients<C> {
  /** The client for `region`, made by the factory the first time it is asked for. */
  forRegion(region: string): C;
  /**
   * Destroys every client made so far (their sockets close) and forgets them;
   * a later `forRegion` makes a new one.
   */
  close(): void;
}

/** What a client must offer to be cached: the SDK clients' `destroy`. */
export interface DestroyableClient {
  destroy(): void;
}

/**
 * A per-region cache over `make`, e.g. `regionClients((region) => new RDSClient({ region }))`.
 * `make` is called at most once per region between closes; nothing is made up front.
 */
export function regionClients<C extends DestroyableClient>(make: (region: string) => C): RegionClients<C> {
  const clients = new Map<string, C>();
  return {
    forRegion(region) {
      let client = clients.get(region);
      if (!client) {
        client = make(region);
        clients.set(region, client);
      }
      return client;
    },
    close() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}
