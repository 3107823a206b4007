/**
 * Issue 13 item 13: anonymous callers saw uploaders' e-mail addresses (`createdBy.email` on public files). A file
 * view's `createdBy` is `{id, name}`; the e-mail is added only for admins and the uploader themself, whichever
 * answer carries the view (detail, by slug, search, trash).
 */
import { useTestApp } from '../support/app.js';
import { trash } from '../support/files.js';
import { createMediaFile } from './library-fixtures.js';

describe('file views: createdBy', () => {
  const t = useTestApp();

  it('shows {id, name} to anonymous callers and other members; the e-mail to admins and the uploader', async () => {
    const admin = await t.adminAuth();
    const uploader = await t.createUser('member', 'shown.uploader@test.local');
    const other = await t.createUser('member');
    const created = await createMediaFile(t, {
      title: 'Shown',
      slug: 'shown-file',
      accessLevel: 'public',
      uploader: uploader.auth,
    });
    const file = { mediaId: created.id as string };
    const withoutEmail = { id: uploader.id, name: 'shown.uploader' };
    const withEmail = { ...withoutEmail, email: 'shown.uploader@test.local' };

    const detail = (auth?: string) => {
      const request = t.http.get(`/api/files/${file.mediaId}`);
      return auth ? request.set('Authorization', auth) : request;
    };
    expect((await detail()).body.createdBy).toEqual(withoutEmail);
    expect((await detail(other.auth)).body.createdBy).toEqual(withoutEmail);
    expect((await detail(uploader.auth)).body.createdBy).toEqual(withEmail);
    expect((await detail(admin)).body.createdBy).toEqual(withEmail);

    expect((await t.http.get('/api/files/by-slug/shown-file')).body.createdBy).toEqual(withoutEmail);
    const anonymousList = await t.http.get('/api/files');
    const listed = anonymousList.body.results.find((entry: { id: string }) => entry.id === file.mediaId);
    expect(listed.createdBy).toEqual(withoutEmail);
    expect(JSON.stringify(anonymousList.body)).not.toContain('@test.local');
    const adminList = await t.http.get('/api/files').set('Authorization', admin);
    expect(adminList.body.results.find((entry: { id: string }) => entry.id === file.mediaId).createdBy).toEqual(
      withEmail,
    );

    expect((await trash(t, uploader.auth, file.mediaId)).status).toBe(204);
    const ownTrash = await t.http.get('/api/trash').set('Authorization', uploader.auth);
    expect(ownTrash.body.results[0].createdBy).toEqual(withEmail);
  });
});
