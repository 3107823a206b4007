import { SqlParams } from './sql.js';

describe('SqlParams.named', () => {
  it('rewrites :name parameters as the next positional ones, after those already added', () => {
    const params = new SqlParams();
    const id = params.add('file-id');
    const condition = { sql: 'm.created_by = :viewerId AND m.level = :level', params: { viewerId: 'u1', level: 2 } };
    const sql = params.named(condition);
    expect(`${id} ${sql}`).toBe('$1 m.created_by = $2 AND m.level = $3');
    expect(params.values).toEqual(['file-id', 'u1', 2]);
  });

  it('leaves ::type casts alone, also right after a parameter', () => {
    const params = new SqlParams();
    const condition = { sql: 'm.created_by = :viewerId::uuid AND m.size::bigint > 0', params: { viewerId: 'u1' } };
    const sql = params.named(condition);
    expect(sql).toBe('m.created_by = $1::uuid AND m.size::bigint > 0');
    expect(params.values).toEqual(['u1']);
  });

  it('leaves colons inside quoted literals and identifiers alone', () => {
    const params = new SqlParams();
    const sql = params.named({
      sql: `m.note <> 'at 12:30 it''s :late' AND "odd:name" = :value`,
      params: { value: 'v' },
    });
    expect(sql).toBe(`m.note <> 'at 12:30 it''s :late' AND "odd:name" = $1`);
    expect(params.values).toEqual(['v']);
  });

  it('binds a name used twice once', () => {
    const params = new SqlParams();
    expect(params.named({ sql: '(a = :id OR b = :id)', params: { id: 7 } })).toBe('(a = $1 OR b = $1)');
    expect(params.values).toEqual([7]);
  });

  it('refuses a name without a value instead of binding NULL', () => {
    expect(() => new SqlParams().named({ sql: 'a = :missing', params: {} })).toThrow(':missing');
  });
});
