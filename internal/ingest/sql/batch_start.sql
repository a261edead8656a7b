-- batch_start: the import batch every new version refers to ($1 what, $2 when it started).
INSERT INTO import_batch (kind, source, started_at) VALUES ('import', $1, $2) RETURNING id
