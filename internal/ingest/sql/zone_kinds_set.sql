-- zone_kinds_set: each row's zone kind ($2), from its value ($1).
UPDATE ingest_src s SET kind = x.kind
FROM unnest($1::text[], $2::text[]) AS x(value, kind)
WHERE s.value = x.value
