-- no criteria, anonymous, newest first: the media rows, public files only
-- plan: media-rows
-- page
SELECT m.id, m.created_at AS k0, m.id AS k1 FROM media_files m WHERE m.deleted_at IS NULL AND m.access_level = 'public'
        ORDER BY m.created_at DESC, m.id DESC
        LIMIT $1 OFFSET $2
-- page order: page.k0 DESC, page.k1 DESC
-- parameters: [20,0]
-- count
SELECT count(*) AS count FROM media_files m WHERE m.deleted_at IS NULL AND m.access_level = 'public'
-- parameters: []
