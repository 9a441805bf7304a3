/** The per-region client cache: one client per region, made on first use, all destroyed at close. */
import { regionClients } from '../../../controller/providers/aws/clients.js';

class FakeClient {
  destroyed = false;
  constructor(readonly region: string) {}
  destroy() {
    this.destroyed = true;
  }
}

describe('regionClients', () => {
  it('makes one client per region, lazily, and makes new ones after close', () => {
    const made: FakeClient[] = [];
    const clients = regionClients((region) => {
      const client = new FakeClient(region);
      made.push(client);
      return client;
    });
    expect(made).toEqual([]);
    const eu = clients.forRegion('eu-west-1');
    expect(clients.forRegion('eu-west-1')).toBe(eu);
    const us = clients.forRegion('us-east-1');
    expect(made.map((c) => c.region)).toEqual(['eu-west-1', 'us-east-1']);
    clients.close();
    expect([eu.destroyed, us.destroyed]).toEqual([true, true]);
    const again = clients.forRegion('eu-west-1');
    expect(again).not.toBe(eu);
    expect(again.destroyed).toBe(false);
    expect(made).toHaveLength(3);
  });
});
