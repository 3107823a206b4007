/** Small helpers over the HTTP API and the bucket, shared by the file-manager specs. */
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { StorageDeletionQueue } from '../../src/file-manager/services/storage-deletion-queue.service.js';
import { OBJECT_KEY_PREFIX } from '../../src/file-manager/services/upload-sessions.service.js';
import { ObjectStorage } from '../../src/storage/object-storage.js';
import type { TestApp } from './app.js';

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Distinct text content (detected as a document), unique per call unless `seed` is given. */
export function content(seed = randomBytes(8).toString('hex')): Buffer {
  return Buffer.from(`mediavault test content ${seed}\n`);
}

export async function upload(t: TestApp, auth: string, bytes: Buffer, filename = 'file.txt') {
  const response = await t.http.post('/api/uploads').set('Authorization', auth).attach('files', bytes, filename);
  if (response.status !== 201) throw new Error(`upload answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.results[0] as {
    status: string;
    hash: string;
    pendingFile?: { id: string; status: string };
    mediaFile?: { id: string };
    error?: { code: string };
  };
}

export function approve(
  t: TestApp,
  auth: string,
  pendingId: string,
  body: Record<string, unknown> = { title: 'A file' },
) {
  return t.http.post(`/api/pending/${pendingId}/approve`).set('Authorization', auth).send(body);
}

export function reject(t: TestApp, auth: string, pendingId: string, reason = 'no') {
  return t.http.post(`/api/pending/${pendingId}/reject`).set('Authorization', auth).send({ reason });
}

export function trash(t: TestApp, auth: string, mediaId: string) {
  return t.http.delete(`/api/files/${mediaId}`).set('Authorization', auth);
}

export function restore(t: TestApp, auth: string, mediaId: string) {
  return t.http.post(`/api/trash/${mediaId}/restore`).set('Authorization', auth);
}

export function purge(t: TestApp, auth: string, mediaId: string) {
  return t.http.delete(`/api/trash/${mediaId}`).set('Authorization', auth);
}

/** Uploads and approves new content; answers the ids. */
export async function createMediaFile(
  t: TestApp,
  auth: string,
  bytes = content(),
  metadata: Record<string, unknown> = {},
) {
  const uploaded = await upload(t, auth, bytes);
  const approved = await approve(t, auth, uploaded.pendingFile!.id, { title: 'A file', ...metadata });
  if (approved.status !== 201) throw new Error(`approve answered ${approved.status}: ${JSON.stringify(approved.body)}`);
  return {
    pendingId: uploaded.pendingFile!.id,
    mediaId: approved.body.mediaFile.id as string,
    hash: uploaded.hash,
    bytes,
  };
}

/** Waits for deletes queued by the requests so far to be carried out. */
export async function drainDeletions(t: TestApp): Promise<void> {
  const queue = t.get(StorageDeletionQueue);
  await queue.settled();
  await queue.processDue();
}

export async function objectKeys(t: TestApp): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of t.get(ObjectStorage).list(OBJECT_KEY_PREFIX)) keys.push(object.key);
  return keys;
}

export async function storedObjectOf(t: TestApp, hash: string): Promise<{ objectKey: string } | undefined> {
  const rows = await t
    .get(DataSource)
    .query<Array<{ objectKey: string }>>(`SELECT object_key AS "objectKey" FROM stored_objects WHERE hash = $1`, [
      hash,
    ]);
  return rows[0];
}

export async function readObject(t: TestApp, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await t.get(ObjectStorage).getStream(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function count(t: TestApp, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await t
    .get(DataSource)
    .query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM (${sql}) AS q`, params);
  return row.n;
}
