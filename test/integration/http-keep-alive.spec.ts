/**
 * Kept-alive connections stay open while idle for HTTP_KEEP_ALIVE_SECONDS (default 65 s, above the 60 s idle timeout
 * of most load balancers, so that the balancer closes an idle connection before the server does; Node's own 5 s made
 * a balancer's request on a connection the server was closing meet a reset, and its client a 502).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { useTestApp, type UsedTestApp } from '../support/app.js';

/** One GET on a fresh kept-alive connection: how long after the answer the server closed the connection, in ms. */
async function idleUntilClosed(t: UsedTestApp): Promise<number> {
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    return await new Promise<number>((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path: '/api/health', agent }, (response) => {
        const socket = response.socket;
        response.resume();
        response.on('end', () => {
          const answeredAt = performance.now();
          socket.once('close', () => resolve(performance.now() - answeredAt));
        });
      });
      request.on('error', reject);
    });
  } finally {
    agent.destroy();
  }
}

describe('kept-alive connections', () => {
  describe('with HTTP_KEEP_ALIVE_SECONDS=2', () => {
    const t = useTestApp({ listen: true, env: { HTTP_KEEP_ALIVE_SECONDS: '2' } });

    it('stay open while idle for that long, then the server closes them', async () => {
      const idleMs = await idleUntilClosed(t);
      expect(idleMs).toBeGreaterThanOrEqual(1900);
      expect(idleMs).toBeLessThan(4500); // Node's default would have closed it at 5 s
    });
  });

  describe('by default', () => {
    const t = useTestApp({ listen: true });

    it('stay open while idle for 65 s, longer than a load balancer keeps them', () => {
      expect(t.app.getHttpServer().keepAliveTimeout).toBe(65_000);
    });
  });
});
