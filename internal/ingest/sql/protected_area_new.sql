-- protected_area_new: a new protected area ($1 name, $2 kind, $3 level: national when not given).
INSERT INTO protected_area (name, area_kind, level) VALUES ($1, $2, coalesce(nullif($3, ''), 'national')) RETURNING id
