/**
 * An unsatisfiable Range is answered like every other error: the contract's body from the exception filter
 * (with the request id, which the hand-built body lacked), plus HTTP's `Content-Range: bytes *\/size`.
 */
import { useTestApp } from '../support/app.js';
import { createMediaFile, type Json } from './library-fixtures.js';

describe('GET /api/files/:id/content with an unsatisfiable range', () => {
  let file: Json;
  const content = Buffer.from('twelve bytes');

  const t = useTestApp();

  beforeAll(async () => {
    file = await createMediaFile(t, { title: 'Ranged', content, accessLevel: 'public' });
  });

  it('answers 416 with the error body, its request id, the size and the validators', async () => {
    const response = await t.http.get(`/api/files/${file.id}/content`).set('Range', `bytes=${content.length}-`);
    expect(response.status).toBe(416);
    expect(response.headers['content-range']).toBe(`bytes */${content.length}`);
    expect(response.headers.etag).toBe(`"${file.hash}"`);
    expect(response.body).toEqual({
      statusCode: 416,
      error: 'Range Not Satisfiable',
      code: 'RANGE_NOT_SATISFIABLE',
      message: 'The requested range is not satisfiable',
      details: { size: content.length },
      requestId: response.headers['x-request-id'],
    });
    expect(response.body.requestId).toEqual(expect.any(String));
  });
});
