-- wetland_resolve: each row's wetland type (the value is a wetland_type code or name) and its
-- importance ($1 the accepted values, lower case, $2 the importance each stands for).
UPDATE ingest_src s SET
	type_code = (SELECT t.code FROM wetland_type t WHERE t.code = s.type_value OR t.name = s.type_value),
	importance = (SELECT m.imp FROM unnest($1::text[], $2::text[]) AS m (value, imp) WHERE m.value = lower(s.importance_value))
