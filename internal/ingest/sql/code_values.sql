-- code_values: the distinct values of every code field of the file, in one scan (one hash table
-- per grouping set): in each result row only the grouped column holds a value.
SELECT {{join . ", "}} FROM ingest_src GROUP BY GROUPING SETS ({{range $i, $c := .}}{{if $i}}, {{end}}({{$c}}){{end}})
