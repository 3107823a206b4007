-- two words by relevance, as an admin: the media rows, the rank computed from the row
-- plan: media-rows
-- page
SELECT m.id, (CASE WHEN m.search_vector @@ $2::tsquery THEN 24 WHEN m.search_vector @@ $3::tsquery THEN 12 WHEN m.search_vector @@ $4::tsquery THEN 6 WHEN m.search_vector @@ $5::tsquery THEN 3 ELSE 0 END) + (CASE WHEN m.search_vector @@ $6::tsquery THEN 24 WHEN m.search_vector @@ $7::tsquery THEN 12 WHEN m.search_vector @@ $8::tsquery THEN 6 WHEN m.search_vector @@ $9::tsquery THEN 3 ELSE 0 END) AS k0, m.created_at AS k1, m.id AS k2 FROM media_files m WHERE m.deleted_at IS NULL AND TRUE AND m.search_vector @@ $1::tsquery
        ORDER BY (CASE WHEN m.search_vector @@ $2::tsquery THEN 24 WHEN m.search_vector @@ $3::tsquery THEN 12 WHEN m.search_vector @@ $4::tsquery THEN 6 WHEN m.search_vector @@ $5::tsquery THEN 3 ELSE 0 END) + (CASE WHEN m.search_vector @@ $6::tsquery THEN 24 WHEN m.search_vector @@ $7::tsquery THEN 12 WHEN m.search_vector @@ $8::tsquery THEN 6 WHEN m.search_vector @@ $9::tsquery THEN 3 ELSE 0 END) DESC, m.created_at DESC, m.id DESC
        LIMIT $10 OFFSET $11
-- page order: page.k0 DESC, page.k1 DESC, page.k2 DESC
-- parameters: ["('beach') & ('sun' | 'sunset')","'beach':*A","'beach':*B","'beach':*C","'beach':*D","'sun':*A","'sun':*B","'sun':*C","'sun':*D",20,0]
-- count
SELECT count(*) AS count FROM media_files m WHERE m.deleted_at IS NULL AND TRUE AND m.search_vector @@ $1::tsquery
-- parameters: ["('beach') & ('sun' | 'sunset')"]
