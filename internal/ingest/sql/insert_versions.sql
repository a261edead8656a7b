-- insert_versions: the new versions of new and changed parcels, from the import instant ($1),
-- under the batch ($2), in the current code scheme ($3); a field the file lacks keeps the current
-- version's value, as do the owner and the extra attributes the file does not replace. The areas
-- come from parcel_areas.sql. In code order, so that versions are numbered as the county reads.
INSERT INTO parcel ({{join .Cols ", "}})
SELECT {{join .Values ", "}}
FROM ingest_src f
JOIN ingest_match m ON m.row = f.row
JOIN ingest_area a ON a.row = f.row
LEFT JOIN parcel c ON c.id = m.cur_id
WHERE m.status IN ('new', 'changed')
ORDER BY f.code
RETURNING id
