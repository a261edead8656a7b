-- zone_labels: each zone kind ($1) with its Chinese label ($2), which names the zones.
CREATE UNLOGGED TABLE ingest_zone_label AS SELECT * FROM unnest($1::text[], $2::text[]) AS l(kind, label)
