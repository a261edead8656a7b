-- overlap_size: the usable rows and their points, which size the edge cover's memory.
SELECT count(*), coalesce(sum(ST_NPoints(g)), 0) FROM ingest_src WHERE g IS NOT NULL
