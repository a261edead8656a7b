-- overlap_unmatched: the rows the edge cover did not match ($1) have their pairs related.
UPDATE ingest_src SET matched = false WHERE row = ANY($1)
