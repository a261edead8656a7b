-- store_recompute: the recompute's outcome ($2) in the batch's ($1) stored report.
UPDATE import_batch SET report = jsonb_set(report, '{recompute}', $2) WHERE id = $1
