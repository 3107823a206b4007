-- one collection with a type filter: the terms index, counted over its terms
-- plan: terms
-- page
      WITH stream AS (
        SELECT s.media_file_id, s.score, s.created_at FROM (SELECT x.media_file_id, x.score, x.created_at
               FROM unnest($3::text[], $4::integer[]) AS t (term, factor)
              CROSS JOIN LATERAL (
                SELECT s.media_file_id, s.weight * t.factor AS score, s.created_at FROM media_search_terms s
                 WHERE s.term = t.term AND (s.access_level IN ('public', 'members') OR (s.access_level = 'private' AND s.created_by = $1)) AND s.file_type = ANY($2::file_type[])
                 ORDER BY s.created_at DESC, s.media_file_id DESC LIMIT 60) x UNION ALL SELECT s.media_file_id, 0 AS score, s.created_at FROM media_search_terms s WHERE false AND (s.access_level IN ('public', 'members') OR (s.access_level = 'private' AND s.created_by = $1)) AND s.file_type = ANY($2::file_type[])) s
         ORDER BY s.created_at DESC, s.media_file_id DESC LIMIT 60
      ), files AS (
        SELECT DISTINCT ON (s.media_file_id) s.media_file_id AS id, s.score AS rank, s.created_at
          FROM stream s ORDER BY s.media_file_id, s.created_at DESC, s.media_file_id DESC
      )
      SELECT files.id, files.created_at AS k0, files.id AS k1,
             (SELECT count(*) FROM stream) AS streamed, (SELECT count(*) FROM files) AS files
        FROM files
       ORDER BY files.created_at DESC, files.id DESC
       LIMIT $5 OFFSET $6
-- page order: page.k0 DESC, page.k1 DESC
-- parameters: ["00000000-0000-4000-8000-00000000000a",["document"],[":collection:00000000-0000-4000-8000-0000000000d1"],[0],20,0]
-- count
SELECT count(*) AS count FROM media_search_terms s WHERE s.term = $3 AND (s.access_level IN ('public', 'members') OR (s.access_level = 'private' AND s.created_by = $1)) AND s.file_type = ANY($2::file_type[])
-- parameters: ["00000000-0000-4000-8000-00000000000a",["document"],":collection:00000000-0000-4000-8000-0000000000d1"]
