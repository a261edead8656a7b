-- code_dictionary: every code of every scheme, and the current-scheme code a legacy one maps to.
SELECT field, scheme, code, coalesce(maps_to, '') FROM code_dictionary
