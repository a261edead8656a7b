-- +goose Up
-- Owners' ID numbers, bank accounts and phone numbers are stored encrypted (AES-256-GCM, sealed
-- by the ecocomp process; the key never reaches the database), so a dump of the database alone
-- reveals none of them. id_number_hash is a keyed hash (HMAC-SHA-256) of the normalised ID
-- number, for exact search. See docs/pii-keys.md.
--
-- The key is not in the database, so plaintext already stored cannot be encrypted here. Only the
-- demo county and test fixtures have been loaded anywhere so far:
--   * demo owners lose their plaintext with the old columns; the demo seed batch is marked so
--     that `ecocomp seed demo` asks for `--replace`, which regenerates the same county encrypted;
--   * any other owner with a plaintext ID number, account or phone stops the migration, which
--     changes nothing and says so.
-- +goose StatementBegin
DO $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM owner
    WHERE NOT demo AND (id_number IS NOT NULL OR bank_account IS NOT NULL OR phone IS NOT NULL);
    IF n > 0 THEN
        RAISE EXCEPTION '% owners not loaded by the demo hold a plaintext ID number, account or phone; migration 00015 encrypts them, which needs the PII key the database never sees', n
            USING HINT = 'copy those owners aside (psql \copy), delete them, run `ecocomp migrate`, then load them again through ecocomp; see docs/pii-keys.md';
    END IF;
END
$$;
-- +goose StatementEnd
UPDATE import_batch SET source = source || ' (owners'' personal data dropped by migration 00015: run `ecocomp seed demo --replace`)'
WHERE kind = 'seed' AND source LIKE 'demo %'
  AND EXISTS (SELECT 1 FROM owner WHERE demo AND (id_number IS NOT NULL OR bank_account IS NOT NULL OR phone IS NOT NULL));
ALTER TABLE owner
    DROP COLUMN id_number,
    DROP COLUMN bank_account,
    DROP COLUMN phone,
    ADD COLUMN id_number_enc bytea,
    ADD COLUMN id_number_hash bytea,
    ADD COLUMN bank_account_enc bytea,
    ADD COLUMN phone_enc bytea,
    ADD CONSTRAINT owner_id_number_hashed CHECK ((id_number_enc IS NULL) = (id_number_hash IS NULL));
CREATE INDEX owner_id_number_hash ON owner (id_number_hash);

-- +goose Down
-- Back to plaintext columns, which stay empty: decrypting needs the key. Demo owners lose their
-- personal data (regenerate with `ecocomp seed demo --replace`); any other owner with encrypted
-- data stops the downgrade.
-- +goose StatementBegin
DO $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM owner
    WHERE NOT demo AND (id_number_enc IS NOT NULL OR bank_account_enc IS NOT NULL OR phone_enc IS NOT NULL);
    IF n > 0 THEN
        RAISE EXCEPTION '% owners not loaded by the demo hold encrypted personal data that the downgrade from 00015 would destroy', n
            USING HINT = 'stay on migration 00015, or export and delete those owners first';
    END IF;
END
$$;
-- +goose StatementEnd
UPDATE import_batch SET source = source || ' (owners'' personal data dropped by the downgrade from 00015: run `ecocomp seed demo --replace`)'
WHERE kind = 'seed' AND source LIKE 'demo %'
  AND EXISTS (SELECT 1 FROM owner WHERE demo AND (id_number_enc IS NOT NULL OR bank_account_enc IS NOT NULL OR phone_enc IS NOT NULL));
DROP INDEX owner_id_number_hash;
ALTER TABLE owner
    DROP CONSTRAINT owner_id_number_hashed,
    DROP COLUMN id_number_enc,
    DROP COLUMN id_number_hash,
    DROP COLUMN bank_account_enc,
    DROP COLUMN phone_enc,
    ADD COLUMN id_number text,
    ADD COLUMN bank_account text,
    ADD COLUMN phone text;
