-- close_changed: the current versions of changed parcels end at the import instant ($1).
UPDATE parcel p SET valid_to = $1 FROM ingest_match m WHERE p.id = m.cur_id AND m.status = 'changed'
