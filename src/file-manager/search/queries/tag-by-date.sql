-- one tag, oldest first, anonymous: the terms index (the tag is a term), counted by counters
-- plan: terms
-- page
      WITH stream AS (
        SELECT s.media_file_id, s.score, s.created_at FROM (SELECT x.media_file_id, x.score, x.created_at
               FROM unnest($1::text[], $2::integer[]) AS t (term, factor)
              CROSS JOIN LATERAL (
                SELECT s.media_file_id, s.weight * t.factor AS score, s.created_at FROM media_search_terms s
                 WHERE s.term = t.term AND s.access_level = 'public'
                 ORDER BY s.created_at ASC, s.media_file_id ASC LIMIT 60) x UNION ALL SELECT s.media_file_id, 0 AS score, s.created_at FROM media_search_terms s WHERE false AND s.access_level = 'public') s
         ORDER BY s.created_at ASC, s.media_file_id ASC LIMIT 60
      ), files AS (
        SELECT DISTINCT ON (s.media_file_id) s.media_file_id AS id, s.score AS rank, s.created_at
          FROM stream s ORDER BY s.media_file_id, s.created_at ASC, s.media_file_id ASC
      )
      SELECT files.id, files.created_at AS k0, files.id AS k1,
             (SELECT count(*) FROM stream) AS streamed, (SELECT count(*) FROM files) AS files
        FROM files
       ORDER BY files.created_at ASC, files.id ASC
       LIMIT $3 OFFSET $4
-- page order: page.k0 ASC, page.k1 ASC
-- parameters: [[":tag:00000000-0000-4000-8000-0000000000c1"],[0],20,0]
-- count
SELECT coalesce(sum(c.files), 0) AS count
                  FROM (SELECT term, shared_prefix, access_level, created_by, files FROM media_search_term_counts
                        UNION ALL
                        SELECT term, shared_prefix, access_level, created_by, files
                          FROM media_search_term_count_changes) c
                 WHERE c.term = $1 AND c.access_level = 'public'
-- parameters: [":tag:00000000-0000-4000-8000-0000000000c1"]
