import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { kubeConfig, testEnv } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { ObjectClient } from '../../src/client/object-client.ts';

describe('ObjectClient against the real API server', () => {
  it('sends the requests of a plain KubeConfig over one kept-alive connection, not a TLS handshake each', async () => {
    const env = testEnv();
    // A plain client-node KubeConfig (as the CLI's), whose client-node builds a new pool per request.
    const client = new ObjectClient(kubeConfig(env));
    const ref = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } };
    await client.get(ref);
    let connections = 0;
    const counted = (): void => {
      connections++;
    };
    // undici publishes each new connection it opens on this channel.
    subscribe('undici:client:connected', counted);
    try {
      for (let i = 0; i < 10; i++) expect((await client.get(ref)).metadata.name).toBe('default');
    } finally {
      unsubscribe('undici:client:connected', counted);
    }
    expect(connections).toBe(0);
  });
});
