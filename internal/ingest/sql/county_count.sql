-- county_count: how many outlines the rows are checked against.
SELECT count(*) FROM ingest_county
