-- unknown_codes_to_extra: unknown codes ($2) leave {{.}} for extra, under the file's field name
-- ($1), unless they look like personal data.
UPDATE ingest_src SET extra = CASE WHEN looks_like_personal_data({{.}}) THEN extra
	ELSE extra || jsonb_build_object($1::text, {{.}}) END, {{.}} = NULL
WHERE {{.}} = ANY($2)
