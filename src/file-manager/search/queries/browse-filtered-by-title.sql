-- type, access level, dates and sizes, sorted by title, as a member: the media rows
-- plan: media-rows
-- page
SELECT m.id, m.title AS k0, m.id AS k1 FROM media_files m WHERE m.deleted_at IS NULL AND (m.access_level IN ('public', 'members') OR (m.access_level = 'private' AND m.created_by = $1)) AND m.file_type = ANY($2::file_type[]) AND m.access_level = ANY($3::access_level[]) AND m.created_at >= $4::timestamptz AND m.created_at < $5::timestamptz AND m.file_size >= $6 AND m.file_size <= $7
        ORDER BY m.title ASC, m.id ASC
        LIMIT $8 OFFSET $9
-- page order: page.k0 ASC, page.k1 ASC
-- parameters: ["00000000-0000-4000-8000-00000000000a",["image","video"],["members"],"2026-01-01T00:00:00Z","2026-07-01T00:00:00Z",100,10000,10,20]
-- count
SELECT count(*) AS count FROM media_files m WHERE m.deleted_at IS NULL AND (m.access_level IN ('public', 'members') OR (m.access_level = 'private' AND m.created_by = $1)) AND m.file_type = ANY($2::file_type[]) AND m.access_level = ANY($3::access_level[]) AND m.created_at >= $4::timestamptz AND m.created_at < $5::timestamptz AND m.file_size >= $6 AND m.file_size <= $7
-- parameters: ["00000000-0000-4000-8000-00000000000a",["image","video"],["members"],"2026-01-01T00:00:00Z","2026-07-01T00:00:00Z",100,10000]
