/**
 * A generated slug that a concurrent create takes first is retried with the next free one, for tags and collections
 * alike (collections used to answer 409 CONFLICT). Forced: an uncommitted row holding the slug makes the request's
 * insert wait on the unique index; the row then commits, so the request's first choice is taken for real.
 */
import pg from 'pg';
import { useTestApp } from '../support/app.js';
import { waitForLockWaiters } from '../support/race.js';

describe('generated slugs under a concurrent create', () => {
  let admin: string;

  const t = useTestApp();

  beforeAll(async () => {
    admin = await t.adminAuth();
  });

  it.each([
    {
      kind: 'collection',
      path: '/api/collections',
      body: { title: 'Raced title' },
      table: 'collections',
      column: 'title',
      base: 'raced-title',
    },
    { kind: 'tag', path: '/api/tags', body: { name: 'Raced name' }, table: 'tags', column: 'name', base: 'raced-name' },
  ])('retries a $kind whose generated slug was taken meanwhile', async ({ path, body, table, column, base }) => {
    const other = new pg.Client({ connectionString: t.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`INSERT INTO ${table} (${column}, slug) VALUES ($1, $2)`, [`Someone else's ${table}`, base]);
      // Sent now (an async function resolves the request, which starts it), awaited after the commit.
      const send = async () => t.http.post(path).set('Authorization', admin).send(body);
      const created = send();
      await waitForLockWaiters(t.databaseUrl, 1);
      await other.query('COMMIT');
      const response = await created;
      expect(response.status).toBe(201);
      expect(response.body.slug).toBe(`${base}-2`);
    } finally {
      await other.end();
    }
  });
});
