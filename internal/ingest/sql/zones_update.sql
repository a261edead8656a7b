-- zones_update: changed zones take the file's geometry and name (site and label); no longer demo.
UPDATE zone z SET geom = x.g, name = x.site || l.label, demo = false
FROM ingest_zone x JOIN ingest_zone_label l ON l.kind = x.kind
WHERE z.id = x.zone_id AND x.status = 'changed'
