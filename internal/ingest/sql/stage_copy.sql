-- stage_copy: ogr2ogr's COPY data, each line numbered, into ingest_stage.
COPY ingest_stage (_row{{range .}}, {{ident .Name}}{{end}}) FROM STDIN
