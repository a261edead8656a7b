-- notify_change: the change notice ($2) on the change channel ($1): tiles are invalidated on it.
SELECT pg_notify($1, $2)
