-- overlap_column_types: the types of the columns of ingest_src the overlap check copies ($1),
-- so that its copy has the same columns, of the same types, under the same names.
SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute
WHERE attrelid = 'ingest_src'::regclass AND attname = ANY($1) AND attnum > 0
