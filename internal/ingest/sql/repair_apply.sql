-- repair_apply: the rows whose repair kept the area (within $1) take the repaired geometry.
UPDATE ingest_src s SET g = x.fixed, state = 'repaired'
FROM ingest_repair x
WHERE x.row = s.row AND x.a1 IS NOT NULL AND x.a0 > 0 AND abs(x.a1 - x.a0) <= $1 * x.a0
