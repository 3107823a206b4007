/**
 * Compiled by `npm run typecheck` only (never run): proves the generated types drive openapi-fetch as the console
 * uses them, and fails to compile when an operation the console relies on loses its typed response.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

type MediaFile = components['schemas']['MediaFileResponse'];
type ErrorBody = components['schemas']['ErrorResponse'];

export async function typecheckClient(baseUrl: string, accessToken: string): Promise<void> {
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${accessToken}` } });

  const listed = await client.GET('/api/files', {
    params: { query: { q: 'cat', pageSize: 10, ordering: '-createdAt' } },
  });
  if (listed.data) {
    const first: MediaFile | undefined = listed.data.results[0];
    const pages: number = listed.data.totalPages;
    void [first?.tags.map((tag) => tag.slug), pages];
  }
  if (listed.error) {
    const failure: ErrorBody = listed.error;
    void failure.code;
  }

  const approved = await client.POST('/api/pending/{id}/approve', {
    params: { path: { id: '00000000-0000-0000-0000-000000000000' } },
    body: { title: 'A cat' },
  });
  if (approved.data) {
    const status: 'approved' = approved.data.status;
    const slug: string = approved.data.mediaFile.slug;
    void [status, slug];
  }

  const login = await client.POST('/api/auth/login', { body: { email: 'a@b.c', password: 'secret' } });
  const role: 'admin' | 'member' | undefined = login.data?.user.role;
  void role;
}
