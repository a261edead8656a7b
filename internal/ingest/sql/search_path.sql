-- search_path: the staging schema ($1) first, for this transaction only.
SELECT set_config('search_path', $1 || ', ' || current_setting('search_path'), true)
