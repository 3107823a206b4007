-- one word and a capture-time bound: the media rows (the terms do not carry the capture time)
-- plan: media-rows
-- page
SELECT m.id, (CASE WHEN m.search_vector @@ $3::tsquery THEN 24 WHEN m.search_vector @@ $4::tsquery THEN 12 WHEN m.search_vector @@ $5::tsquery THEN 6 WHEN m.search_vector @@ $6::tsquery THEN 3 ELSE 0 END) AS k0, m.created_at AS k1, m.id AS k2 FROM media_files m WHERE m.deleted_at IS NULL AND TRUE AND m.search_vector @@ $1::tsquery AND EXISTS (SELECT 1 FROM rendition_jobs j WHERE j.hash = m.hash AND (j.media_info->>'takenAt') >= $2)
        ORDER BY (CASE WHEN m.search_vector @@ $3::tsquery THEN 24 WHEN m.search_vector @@ $4::tsquery THEN 12 WHEN m.search_vector @@ $5::tsquery THEN 6 WHEN m.search_vector @@ $6::tsquery THEN 3 ELSE 0 END) DESC, m.created_at DESC, m.id DESC
        LIMIT $7 OFFSET $8
-- page order: page.k0 DESC, page.k1 DESC, page.k2 DESC
-- parameters: ["('sun')","2020-01-01T00:00:00.000Z","'sun':*A","'sun':*B","'sun':*C","'sun':*D",20,0]
-- count
SELECT count(*) AS count FROM media_files m WHERE m.deleted_at IS NULL AND TRUE AND m.search_vector @@ $1::tsquery AND EXISTS (SELECT 1 FROM rendition_jobs j WHERE j.hash = m.hash AND (j.media_info->>'takenAt') >= $2)
-- parameters: ["('sun')","2020-01-01T00:00:00.000Z"]
