-- overlap_index: the spatial index the pairs are found with.
CREATE INDEX ON ingest_src USING gist (g)
