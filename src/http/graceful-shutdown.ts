import type { LoggerService } from '@nestjs/common';
import type { Server, ServerResponse } from 'node:http';

export interface DrainResult {
  /** In-flight requests still running at the deadline, whose connections were cut. */
  cut: number;
}

/**
 * Tracks the requests a server is serving so that shutdown can wait for them. Install it before the server
 * listens; `drain` then stops accepting connections, lets in-flight requests finish (up to `timeoutMs`) and closes
 * keep-alive connections as soon as they are idle, so that a client holding one open cannot delay the exit.
 */
export class HttpDrainer {
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;

  constructor(private readonly server: Server) {
    server.on('request', (_request, response: ServerResponse) => {
      this.inFlight.add(response);
      // A request arriving on a kept-alive connection while draining is served, but its connection is closed after.
      if (this.draining && !response.headersSent) response.setHeader('Connection', 'close');
      response.once('close', () => this.inFlight.delete(response));
    });
  }

  get activeRequests(): number {
    return this.inFlight.size;
  }

  async drain(timeoutMs: number, logger?: LoggerService): Promise<DrainResult> {
    this.draining = true;
    // Responses not yet started end their connection when done instead of keeping it alive.
    for (const response of this.inFlight) if (!response.headersSent) response.setHeader('Connection', 'close');
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight.size > 0)
      logger?.log(`Waiting for ${this.inFlight.size} in-flight request(s), up to ${timeoutMs / 1000} s`);

    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await sleep(Math.min(100, Math.max(1, deadline - Date.now())));
      // A connection whose response just finished is idle now.
      this.server.closeIdleConnections();
    }
    const cut = this.inFlight.size;
    if (cut > 0) {
      logger?.warn(`Shutdown timeout: cutting ${cut} request(s) still in flight`);
      // Their work is transactional: an upload cut here is never recorded, its partial object is collected later.
      this.server.closeAllConnections();
    }
    this.server.closeIdleConnections();
    await closed;
    return { cut };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
