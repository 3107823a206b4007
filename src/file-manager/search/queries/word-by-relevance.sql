-- one word, by relevance, as a member: the terms index, the prefix spelled out, counted by counters
-- plan: terms
-- page
      WITH stream AS (
        SELECT s.media_file_id, s.score, s.created_at FROM (SELECT x.media_file_id, x.score, x.created_at
               FROM unnest($2::text[], $3::integer[]) AS t (term, factor)
              CROSS JOIN LATERAL (
                SELECT s.media_file_id, s.weight * t.factor AS score, s.created_at FROM media_search_terms s
                 WHERE s.term = t.term AND (s.access_level IN ('public', 'members') OR (s.access_level = 'private' AND s.created_by = $1))
                 ORDER BY s.weight DESC, s.created_at DESC, s.media_file_id DESC LIMIT 60) x UNION ALL SELECT s.media_file_id, 0 AS score, s.created_at FROM media_search_terms s WHERE false AND (s.access_level IN ('public', 'members') OR (s.access_level = 'private' AND s.created_by = $1))) s
         ORDER BY s.score DESC, s.created_at DESC, s.media_file_id DESC LIMIT 60
      ), files AS (
        SELECT DISTINCT ON (s.media_file_id) s.media_file_id AS id, s.score AS rank, s.created_at
          FROM stream s ORDER BY s.media_file_id, s.score DESC, s.created_at DESC, s.media_file_id DESC
      )
      SELECT files.id, files.rank AS k0, files.created_at AS k1, files.id AS k2,
             (SELECT count(*) FROM stream) AS streamed, (SELECT count(*) FROM files) AS files
        FROM files
       ORDER BY files.rank DESC, files.created_at DESC, files.id DESC
       LIMIT $4 OFFSET $5
-- page order: page.k0 DESC, page.k1 DESC, page.k2 DESC
-- parameters: ["00000000-0000-4000-8000-00000000000a",["sun","sunset","sunrise"],[3,3,3],20,0]
-- count
SELECT coalesce(sum(c.files), 0) AS count
                  FROM (SELECT term, shared_prefix, access_level, created_by, files FROM media_search_term_counts
                        UNION ALL
                        SELECT term, shared_prefix, access_level, created_by, files
                          FROM media_search_term_count_changes) c
                 WHERE c.term ^@ $2 AND c.shared_prefix < char_length($2) AND (c.access_level IN ('public', 'members') OR (c.access_level = 'private' AND c.created_by = $1))
-- parameters: ["00000000-0000-4000-8000-00000000000a","sun"]
