-- translate_codes: legacy codes in {{.}} ($1) become their current-scheme codes ($2).
UPDATE ingest_src s SET {{.}} = x.code
FROM unnest($1::text[], $2::text[]) AS x(raw, code)
WHERE s.{{.}} = x.raw
