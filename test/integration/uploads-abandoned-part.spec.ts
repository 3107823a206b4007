/**
 * A multipart part that fails before its upload has its claim (the request was abandoned, e.g. because another part
 * of it failed in storage, while this part's upload awaited its claim). The 10-minute soak found one such upload
 * waiting forever: its claim was kept fresh by the heartbeat, so garbage collection could never take its object
 * (an I4 leak). Now the upload fails at once and gives its claim back.
 */
import { PassThrough } from 'node:stream';
import { DataSource } from 'typeorm';
import { UploadService } from '../../src/file-manager/services/upload.service.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import { useTestApp } from '../support/app.js';
import { checkInvariants, formatViolations } from '../support/invariants.js';

describe('an upload part that failed before its claim was taken', () => {
  const t = useTestApp({ env: { ORPHAN_GRACE_MINUTES: '0' } });

  it('fails and gives its claim back instead of holding it forever', async () => {
    const member = await t.createUser('member');
    const part = new PassThrough();
    part.on('error', () => undefined);
    part.write('the first bytes of a file');
    part.destroy(new Error('Unexpected end of form'));

    await expect(
      t
        .get(UploadService)
        .ingestStream(part, 'cut-short.txt', '', { id: member.id, email: member.email, role: 'member' }),
    ).rejects.toThrow('Unexpected end of form');

    const dataSource = t.get(DataSource);
    expect(await dataSource.query(`SELECT object_key FROM upload_sessions`)).toEqual([]);
    expect(await dataSource.query(`SELECT id FROM pending_files`)).toEqual([]);
    const violations = await checkInvariants({ dataSource, storage: t.get(ObjectStorage), apps: [t] });
    expect(formatViolations(violations)).toBe('');
  });

  // The same failure a moment later: while the upload is taking its claim, nobody reads the part yet. The CLI import
  // interrupted by Ctrl-C at that moment crashed (exit 1 instead of 130) on the unheard 'error'.
  it('fails cleanly when the part fails while its upload is taking its claim', async () => {
    const member = await t.createUser('member');
    const part = new PassThrough();
    const upload = t
      .get(UploadService)
      .ingestStream(part, 'interrupted.txt', '', { id: member.id, email: member.email, role: 'member' });
    part.destroy(new Error('Interrupted'));
    await expect(upload).rejects.toThrow('Interrupted');
    expect(await t.get(DataSource).query(`SELECT object_key FROM upload_sessions`)).toEqual([]);
  });
});
