-- +goose Up
-- Nothing unexpected is published (issue 11). A parcel's extra attributes go out with the lookup
-- API, OGC items and exports, to anyone who may read the map. From now on an import keeps in
-- extra only the fields its mapping lists under "extra", never one whose name or values look
-- like personal data, and never one named like a computed property (internal/ingest,
-- personal.go). looks_like_personal_data is the value test the import runs on every field it
-- would keep, and the one this migration cleans the stored attributes with.

-- id_number_checksum_ok: an 18-character mainland resident ID number (GB 11643) whose last
-- character is the ISO 7064 MOD 11-2 check of the first 17 digits (weights 2^(18-i) mod 11).
-- +goose StatementBegin
CREATE FUNCTION id_number_checksum_ok(id text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT id ~ '^[0-9]{17}[0-9Xx]$'
        AND upper(right(id, 1)) = substr('10X98765432',
            (SELECT sum(substr(id, i, 1)::int * ((1 << (18 - i)) % 11)) % 11
             FROM generate_series(1, 17) AS i)::int + 1, 1)
$$;
-- +goose StatementEnd

-- holds_id_number: v holds an ID number ending in X with a valid check character (one of 18
-- digits is already a bank-card-like run below).
-- +goose StatementBegin
CREATE FUNCTION holds_id_number(v text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM regexp_matches(v, '(?:^|[^0-9.])\.?([0-9]{17}[Xx])(?![0-9A-Za-z])', 'g') AS m
                   WHERE id_number_checksum_ok(m[1]))
$$;
-- +goose StatementEnd

-- looks_like_personal_data: v holds a run of 16 to 19 digits (bank cards, 18-digit ID numbers;
-- also written in groups of four), a mainland mobile number (1[3-9] and 9 more digits, with or
-- without +86 and separators) or an ID number ending in X with a valid check character. Digits
-- right after a decimal point are a fraction, not a number of their own (Shape_Area). The first
-- test (11 digits, spaces or dashes in a row somewhere) is cheap and spares almost every value
-- the regular expressions. Inlined by the planner: no subquery at this level.
-- +goose StatementBegin
CREATE FUNCTION looks_like_personal_data(v text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT strpos(translate(v, '0123456789 -', '############'), '###########') > 0
        AND (v ~ '(^|[^0-9.])\.?[0-9]{16,19}([^0-9Xx]|$)'
             OR v ~ '(^|[^0-9.])\.?(\+?86[ -]?)?1[3-9][0-9]([ -]?[0-9]{4}){2}([^0-9]|$)'
             OR v ~ '(^|[^0-9.])\.?[0-9]{4}([ -][0-9]{4}){3}([ -]?[0-9]{1,3})?([^0-9]|$)'
             OR (v ~ '[0-9]{17}[Xx]' AND holds_id_number(v)))
$$;
-- +goose StatementEnd

-- The extra attributes stored so far. No mapping ever listed a field as extra, so by the new
-- rule none was allowed: every field an import kept because nothing mapped it is dropped (its
-- surveyor re-imports the file with a mapping that lists the fields to publish). What stays is
-- what an import still keeps without a mapping: a code the dictionary did not know, under its
-- standard field name (DI_LEI … LING_ZU, or the alias LMSYQ), and only when the value does not
-- look like personal data either. Stored values are not inspected any further, and nothing is
-- copied elsewhere: personal data must not survive in another table. The old versions of a
-- parcel are cleaned as well (they are published by no API today, but the history is kept for
-- years). The Down migration cannot bring the dropped attributes back. One audit row says how
-- many parcel versions changed and which field names were dropped how often (names, no values).
WITH cleaned AS (
    SELECT p.id,
           coalesce((SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(p.extra) AS e
                     WHERE upper(e.key) IN ('DI_LEI', 'LD_QS', 'LM_QS', 'SEN_LIN_LB', 'SHI_QUAN_D', 'GJGYL_BHDJ',
                                            'BH_DJ', 'LIN_ZHONG', 'QI_YUAN', 'YOU_SHI_SZ', 'LING_ZU', 'LMSYQ')
                       AND jsonb_typeof(e.value) IN ('string', 'number')
                       AND NOT coalesce(looks_like_personal_data(e.value #>> '{}'), false)), '{}') AS extra
    FROM parcel p
    WHERE p.extra <> '{}'
), dropped AS (
    SELECT k.key, count(*) AS n
    FROM parcel p JOIN cleaned c ON c.id = p.id, jsonb_object_keys(p.extra) AS k(key)
    WHERE NOT c.extra ? k.key
    GROUP BY k.key
), changed AS (
    UPDATE parcel p SET extra = c.extra FROM cleaned c WHERE p.id = c.id AND p.extra <> c.extra
    RETURNING p.id
)
INSERT INTO audit_log (actor_kind, actor, action, entity, detail)
SELECT 'system', 'migration 00016', 'extra.clean', 'parcel',
       jsonb_build_object('versions', (SELECT count(*) FROM changed),
                          'dropped_fields', (SELECT jsonb_object_agg(key, n) FROM dropped),
                          'reason', 'extra attributes are published; only fields a mapping lists are kept now')
WHERE EXISTS (SELECT 1 FROM changed);

-- +goose Down
DROP FUNCTION looks_like_personal_data(text);
DROP FUNCTION holds_id_number(text);
DROP FUNCTION id_number_checksum_ok(text);
