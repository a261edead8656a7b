-- overlap_lines: the overlaps above the tolerance ($1 m²), one report line per pair.
SELECT arow, akey, brow, bkey, m2, format('overlaps row %s (%s) by %s m²', brow, bkey, round(m2::numeric, 1))
FROM ingest_overlap
WHERE m2 > $1
ORDER BY arow, brow
