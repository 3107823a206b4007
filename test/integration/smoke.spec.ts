import { useTestApp } from '../support/app.js';

describe('smoke', () => {
  const t = useTestApp();

  it('uploads, approves, trashes, re-uploads', async () => {
    const admin = await t.adminAuth();
    const upload = await t.http
      .post('/api/uploads')
      .set('Authorization', admin)
      .attach('files', Buffer.from('hello world'), 'hello.txt');
    expect(upload.status).toBe(201);
    expect(upload.body.results[0].status).toBe('pending');
    const pendingId = upload.body.results[0].pendingFile.id;
    const approve = await t.http
      .post(`/api/pending/${pendingId}/approve`)
      .set('Authorization', admin)
      .send({ title: 'Hello' });
    expect(approve.status).toBe(201);
    const mediaId = approve.body.mediaFile.id;
    expect((await t.http.delete(`/api/files/${mediaId}`).set('Authorization', admin)).status).toBe(204);
    const again = await t.http
      .post('/api/uploads')
      .set('Authorization', admin)
      .attach('files', Buffer.from('hello world'), 'hello2.txt');
    expect(again.body.results[0].status).toBe('pending_updated');
    const approve2 = await t.http
      .post(`/api/pending/${pendingId}/approve`)
      .set('Authorization', admin)
      .send({ title: 'Hello again' });
    expect(approve2.status).toBe(201);
    expect(approve2.body.mediaFile.id).not.toBe(mediaId);
  });
});
