-- file_counties: the county codes of the file's rows{{if .}} that are well-formed{{end}}.
SELECT coalesce(array_agg(DISTINCT xian), '{}') FROM ingest_src{{if .}} WHERE xian ~ '^[0-9]{6}$'{{end}}
