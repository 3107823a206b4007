-- a tag and a size range: the media rows, the tag bitmap fenced (OFFSET 0) before the sort
-- plan: media-rows
-- page
SELECT id, k0, k1
         FROM (SELECT m.id, m.created_at AS k0, m.id AS k1 FROM media_files m WHERE m.deleted_at IS NULL AND (m.access_level IN ('public', 'members') OR (m.access_level = 'private' AND m.created_by = $1)) AND m.tag_ids && $2::uuid[] AND m.file_size >= $3 OFFSET 0) page
        ORDER BY page.k0 DESC, page.k1 DESC
        LIMIT $4 OFFSET $5
-- page order: page.k0 DESC, page.k1 DESC
-- parameters: ["00000000-0000-4000-8000-00000000000a",["00000000-0000-4000-8000-0000000000c1"],1000,20,0]
-- count
SELECT count(*) AS count FROM media_files m WHERE m.deleted_at IS NULL AND (m.access_level IN ('public', 'members') OR (m.access_level = 'private' AND m.created_by = $1)) AND m.tag_ids && $2::uuid[] AND m.file_size >= $3
-- parameters: ["00000000-0000-4000-8000-00000000000a",["00000000-0000-4000-8000-0000000000c1"],1000]
