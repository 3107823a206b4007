-- capture-time range (date and offset date-time, made canonical UTC), newest first: the media rows
-- plan: media-rows
-- page
SELECT m.id, m.created_at AS k0, m.id AS k1 FROM media_files m WHERE m.deleted_at IS NULL AND (m.access_level IN ('public', 'members') OR (m.access_level = 'private' AND m.created_by = $1)) AND EXISTS (SELECT 1 FROM rendition_jobs j WHERE j.hash = m.hash AND (j.media_info->>'takenAt') >= $2 AND (j.media_info->>'takenAt') < $3)
        ORDER BY m.created_at DESC, m.id DESC
        LIMIT $4 OFFSET $5
-- page order: page.k0 DESC, page.k1 DESC
-- parameters: ["00000000-0000-4000-8000-00000000000a","2024-05-01T00:00:00.000Z","2024-06-01T00:00:00.000Z",20,0]
-- count
SELECT count(*) AS count FROM media_files m WHERE m.deleted_at IS NULL AND (m.access_level IN ('public', 'members') OR (m.access_level = 'private' AND m.created_by = $1)) AND EXISTS (SELECT 1 FROM rendition_jobs j WHERE j.hash = m.hash AND (j.media_info->>'takenAt') >= $2 AND (j.media_info->>'takenAt') < $3)
-- parameters: ["00000000-0000-4000-8000-00000000000a","2024-05-01T00:00:00.000Z","2024-06-01T00:00:00.000Z"]
