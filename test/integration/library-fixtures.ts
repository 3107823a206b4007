/** Helpers shared by the library specs: media files are made the way users make them (upload, then approve). */
import { randomBytes } from 'node:crypto';
import type { TestApp } from '../support/app.js';

export interface MediaFileInput {
  title: string;
  filename?: string;
  content?: Buffer;
  description?: string;
  tagIds?: string[];
  collectionIds?: string[];
  accessLevel?: 'public' | 'members' | 'staff' | 'private';
  slug?: string;
  /** Authorization of the uploader; the admin by default. */
  uploader?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function createMediaFile(t: TestApp, input: MediaFileInput): Promise<Json> {
  const admin = await t.adminAuth();
  const content = input.content ?? Buffer.concat([Buffer.from(`${input.title}\n`), randomBytes(16)]);
  const upload = await t.http
    .post('/api/uploads')
    .set('Authorization', input.uploader ?? admin)
    .attach('files', content, input.filename ?? 'file.txt');
  if (upload.status !== 201 || !upload.body.results[0].pendingFile) {
    throw new Error(`upload failed: ${upload.status} ${JSON.stringify(upload.body)}`);
  }
  const { filename: _, content: __, uploader: ___, ...metadata } = input;
  const approve = await t.http
    .post(`/api/pending/${upload.body.results[0].pendingFile.id}/approve`)
    .set('Authorization', admin)
    .send(metadata);
  if (approve.status !== 201) throw new Error(`approve failed: ${approve.status} ${JSON.stringify(approve.body)}`);
  return approve.body.mediaFile;
}

export async function createTag(t: TestApp, name: string, auth?: string): Promise<Json> {
  const response = await t.http
    .post('/api/tags')
    .set('Authorization', auth ?? (await t.adminAuth()))
    .send({ name });
  if (response.status !== 201) throw new Error(`tag failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function createCollection(t: TestApp, body: Record<string, unknown>, auth?: string): Promise<Json> {
  const response = await t.http
    .post('/api/collections')
    .set('Authorization', auth ?? (await t.adminAuth()))
    .send(body);
  if (response.status !== 201)
    throw new Error(`collection failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** `GET /api/files` with a query, as `auth` (anonymous when undefined); answers the body after checking 200. */
export async function listFiles(t: TestApp, query: Record<string, unknown>, auth?: string): Promise<Json> {
  const request = t.http.get('/api/files').query(query);
  if (auth) request.set('Authorization', auth);
  const response = await request;
  if (response.status !== 200) throw new Error(`list failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export const titles = (page: Json): string[] => page.results.map((file: Json) => file.title);

const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** A valid 1×1 PNG of exactly `size` bytes (padding after IEND, which readers ignore), distinct per `seed`. */
export function png(size: number, seed: number): Buffer {
  const padding = Buffer.alloc(Math.max(0, size - PNG_1X1.length), seed);
  return Buffer.concat([PNG_1X1, padding]).subarray(0, Math.max(size, PNG_1X1.length));
}
