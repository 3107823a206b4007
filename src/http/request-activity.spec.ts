import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { RequestActivity } from './request-activity.js';

function exchange(path: string): { request: Request; response: Response & EventEmitter } {
  return { request: { path } as Request, response: new EventEmitter() as Response & EventEmitter };
}

describe('RequestActivity', () => {
  it('counts a request from its start until its response is done, once', () => {
    const activity = new RequestActivity();
    const upload = exchange('/api/uploads');
    const listing = exchange('/api/files');
    activity.track(upload.request, upload.response);
    activity.track(listing.request, listing.response);
    expect(activity.activeRequests).toBe(2);
    upload.response.emit('finish');
    upload.response.emit('close'); // both fire for a completed response: counted off once
    expect(activity.activeRequests).toBe(1);
    listing.response.emit('close'); // the client went away
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
