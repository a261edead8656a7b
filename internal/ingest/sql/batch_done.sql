-- batch_done: the batch ($1) done, with the report ($2).
UPDATE import_batch SET status = 'done', finished_at = clock_timestamp(), report = $2 WHERE id = $1
