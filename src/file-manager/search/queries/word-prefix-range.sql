-- one word whose prefix starts too many terms: read as one index range, counted by counters
-- plan: terms
-- page
      WITH stream AS (
        SELECT s.media_file_id, s.score, s.created_at FROM (SELECT s.media_file_id, s.weight * 3 AS score, s.created_at
                                  FROM media_search_terms s WHERE s.term ^@ $1 AND TRUE UNION ALL SELECT s.media_file_id, 0 AS score, s.created_at FROM media_search_terms s WHERE false AND TRUE) s
         ORDER BY s.score DESC, s.created_at DESC, s.media_file_id DESC LIMIT 60
      ), files AS (
        SELECT DISTINCT ON (s.media_file_id) s.media_file_id AS id, s.score AS rank, s.created_at
          FROM stream s ORDER BY s.media_file_id, s.score DESC, s.created_at DESC, s.media_file_id DESC
      )
      SELECT files.id, files.rank AS k0, files.created_at AS k1, files.id AS k2,
             (SELECT count(*) FROM stream) AS streamed, (SELECT count(*) FROM files) AS files
        FROM files
       ORDER BY files.rank DESC, files.created_at DESC, files.id DESC
       LIMIT $2 OFFSET $3
-- page order: page.k0 DESC, page.k1 DESC, page.k2 DESC
-- parameters: ["ph",20,0]
-- count
SELECT coalesce(sum(c.files), 0) AS count
                  FROM (SELECT term, shared_prefix, access_level, created_by, files FROM media_search_term_counts
                        UNION ALL
                        SELECT term, shared_prefix, access_level, created_by, files
                          FROM media_search_term_count_changes) c
                 WHERE c.term ^@ $1 AND c.shared_prefix < char_length($1) AND TRUE
-- parameters: ["ph"]
