-- one word sorted by downloads: the media rows (the terms do not carry the download count)
-- plan: media-rows
-- page
SELECT m.id, m.download_count AS k0, m.id AS k1 FROM media_files m WHERE m.deleted_at IS NULL AND (m.access_level IN ('public', 'members') OR (m.access_level = 'private' AND m.created_by = $1)) AND m.search_vector @@ $2::tsquery
        ORDER BY m.download_count DESC, m.id DESC
        LIMIT $3 OFFSET $4
-- page order: page.k0 DESC, page.k1 DESC
-- parameters: ["00000000-0000-4000-8000-00000000000a","('sun')",20,0]
-- count
SELECT count(*) AS count FROM media_files m WHERE m.deleted_at IS NULL AND (m.access_level IN ('public', 'members') OR (m.access_level = 'private' AND m.created_by = $1)) AND m.search_vector @@ $2::tsquery
-- parameters: ["00000000-0000-4000-8000-00000000000a","('sun')"]
