import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { RequestActivity } from './request-activity.js';

function exchange(path: string) {
  const response = Object.assign(new EventEmitter(), {
    headersWritten: 0,
    writeHead(this: { headersWritten: number }) {
      this.headersWritten += 1;
      return this;
    },
  });
  return { request: { path } as Request, response: response as unknown as Response & typeof response };
}

describe('RequestActivity', () => {
  it('counts a request from its arrival until its answer starts, once', () => {
    const activity = new RequestActivity();
    const upload = exchange('/api/uploads');
    const listing = exchange('/api/files');
    activity.track(upload.request, upload.response);
    activity.track(listing.request, listing.response);
    expect(activity.activeRequests).toBe(2);
    upload.response.writeHead(201);
    expect(upload.response.headersWritten).toBe(1); // the real writeHead still runs
    upload.response.emit('close'); // the end of the same exchange: counted off once
    expect(activity.activeRequests).toBe(1);
    listing.response.emit('close'); // the client went away before any answer
    expect(activity.activeRequests).toBe(0);
  });

  it('stops counting a download once its bytes flow, though its response is still open', () => {
    const activity = new RequestActivity();
    const download = exchange('/api/files/1/content');
    activity.track(download.request, download.response);
    download.response.writeHead(206);
    expect(activity.activeRequests).toBe(0);
  });

  it('does not count monitoring (health, metrics): rendering need not give way to it', () => {
    const activity = new RequestActivity();
    for (const path of ['/api/health', '/api/metrics']) {
      const { request, response } = exchange(path);
      activity.track(request, response);
    }
    expect(activity.activeRequests).toBe(0);
  });
});
