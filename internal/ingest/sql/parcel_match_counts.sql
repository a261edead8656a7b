-- parcel_match_counts: how many rows are new, changed and unchanged.
SELECT count(*) FILTER (WHERE status = 'new'), count(*) FILTER (WHERE status = 'changed'),
	count(*) FILTER (WHERE status = 'unchanged')
FROM ingest_match
