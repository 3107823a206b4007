/**
 * Kept-alive connections stay open while idle for HTTP_KEEP_ALIVE_SECONDS (default 65 s, above the 60 s idle timeout
 * of most load balancers, so that the balancer closes an idle connection before the server does; Node's own 5 s made
 * a balancer's request on a connection the server was closing meet a reset, and its client a 502).
 */
import { connect, type AddressInfo } from 'node:net';
import { useTestApp, type UsedTestApp } from '../support/app.js';

/**
 * One GET on a fresh kept-alive connection (a raw socket: an http.Agent would close it itself on the server's
 * `Keep-Alive` hint): how long after the answer the server closed the connection, in ms.
 */
async function idleUntilClosed(t: UsedTestApp): Promise<number> {
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  try {
    socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    let received = '';
    let answeredAt = 0;
    return await new Promise<number>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        // /api/health answers a small JSON body with a Content-Length: the answer is whole once its body has come.
        const [head, body = ''] = received.split('\r\n\r\n');
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
        if (!answeredAt && body.length >= length) answeredAt = performance.now();
      });
      socket.on('end', () => (answeredAt ? resolve(performance.now() - answeredAt) : reject(new Error(received))));
      socket.on('error', reject);
    });
  } finally {
    socket.destroy();
  }
}

describe('kept-alive connections', () => {
  describe('with HTTP_KEEP_ALIVE_SECONDS=1', () => {
    const t = useTestApp({ listen: true, env: { HTTP_KEEP_ALIVE_SECONDS: '1' } });

    it('stay open while idle for that long, then the server closes them', async () => {
      const idleMs = await idleUntilClosed(t);
      // Node closes it up to a second after the keep-alive timeout; with its own default, 6 s after the answer.
      expect(idleMs).toBeGreaterThanOrEqual(950);
      expect(idleMs).toBeLessThan(4500);
    });
  });

  describe('by default', () => {
    const t = useTestApp({ listen: true });

    it('stay open while idle for 65 s, longer than a load balancer keeps them', () => {
      expect(t.app.getHttpServer().keepAliveTimeout).toBe(65_000);
    });
  });
});
