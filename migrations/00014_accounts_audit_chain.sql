-- +goose Up
-- Staff accounts, API tokens and sign-in sessions, and a hash chain over the audit log.
--
-- Passwords are argon2id PHC strings; tokens and session ids are random and stored only as their
-- SHA-256, so a dump of these tables lets nobody sign in.
CREATE TABLE app_user (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9._-]{1,31}$'),
    display_name         text NOT NULL DEFAULT '',
    roles                text[] NOT NULL CHECK (cardinality(roles) > 0
                             AND roles <@ ARRAY['viewer', 'surveyor', 'case_officer', 'finance', 'admin']),
    password_hash        text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    -- A one-time password (set by an administrator) must be changed at the first sign-in.
    must_change_password boolean NOT NULL DEFAULT true,
    created_at           timestamptz NOT NULL DEFAULT now(),
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at          timestamptz
);

-- Every sign-in attempt against an existing account: the lockout counts the failures in its
-- window since the last success (or administrator unlock).
CREATE TABLE login_attempt (
    user_id bigint NOT NULL REFERENCES app_user (id),
    at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    ok      boolean NOT NULL
);
CREATE INDEX login_attempt_user_at ON login_attempt (user_id, at DESC);

CREATE TABLE api_token (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES app_user (id),
    label        text NOT NULL CHECK (label <> ''),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);

CREATE TABLE user_session (
    id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id      bigint NOT NULL REFERENCES app_user (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz,
    client_addr  text NOT NULL DEFAULT ''
);
CREATE INDEX user_session_user ON user_session (user_id) WHERE ended_at IS NULL;

-- Imports submitted over HTTP remember the account, so a surveyor sees their own reports.
ALTER TABLE import_job ADD COLUMN user_id bigint REFERENCES app_user (id);

-- The audit log gets who (kind, token), how it ended, the request and the client, and a hash
-- chain: seq is gapless and hash = SHA-256(prev_hash || canonical content). The trigger below
-- sets all three under a transaction-scoped lock, so concurrent writers chain in commit order of
-- the lock, and nobody can choose them. `ecocomp audit verify` recomputes the chain in Go.
ALTER TABLE audit_log
    ADD COLUMN seq         bigint UNIQUE,
    ADD COLUMN actor_kind  text NOT NULL DEFAULT 'system'
        CHECK (actor_kind IN ('user', 'token', 'break_glass', 'os', 'anonymous', 'system')),
    ADD COLUMN token_id    bigint,
    ADD COLUMN outcome     text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'denied', 'failed')),
    ADD COLUMN request_id  text NOT NULL DEFAULT '',
    ADD COLUMN client_addr text NOT NULL DEFAULT '',
    ADD COLUMN prev_hash   bytea,
    ADD COLUMN hash        bytea;

-- +goose StatementBegin
-- audit_canonical is the byte string a row's hash covers: every field as its decimal byte length,
-- a colon and its UTF-8 bytes, in a fixed order. Go's audit.Canonical writes the same bytes.
CREATE FUNCTION audit_canonical(r audit_log) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT convert_to(string_agg(length(convert_to(f, 'UTF8'))::text || ':' || f, '' ORDER BY i), 'UTF8')
    FROM unnest(ARRAY[
        r.seq::text,
        to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        r.actor_kind, r.actor, coalesce(r.token_id::text, ''), r.action, r.entity,
        coalesce(r.entity_id, ''), r.outcome, r.request_id, r.client_addr, r.detail::text
    ]) WITH ORDINALITY AS t(f, i)
$$;

CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq  bigint;
    last_hash bytea;
BEGIN
    -- One writer at a time appends; the lock is held until the writer's transaction ends.
    PERFORM pg_advisory_xact_lock(hashtext('ecocomp.audit_log'));
    SELECT seq, hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last_seq, 0) + 1;
    NEW.at := date_trunc('microseconds', clock_timestamp());
    NEW.prev_hash := coalesce(last_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    NEW.hash := sha256(NEW.prev_hash || audit_canonical(NEW));
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- Rows written before the chain existed are chained once, in id order.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
-- +goose StatementBegin
DO $$
DECLARE
    r    audit_log;
    n    bigint := 0;
    prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        n := n + 1;
        r.seq := n;
        r.at := date_trunc('microseconds', r.at);
        r.prev_hash := prev;
        r.hash := sha256(prev || audit_canonical(r));
        UPDATE audit_log SET seq = r.seq, at = r.at, prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
        prev := r.hash;
    END LOOP;
END
$$;
-- +goose StatementEnd
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;
ALTER TABLE audit_log ALTER COLUMN seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
CREATE INDEX audit_log_at ON audit_log (at);

-- +goose Down
DROP TRIGGER audit_log_chain ON audit_log;
DROP INDEX audit_log_at;
DROP FUNCTION audit_log_chain;
DROP FUNCTION audit_canonical;
ALTER TABLE audit_log DROP COLUMN seq, DROP COLUMN actor_kind, DROP COLUMN token_id, DROP COLUMN outcome,
    DROP COLUMN request_id, DROP COLUMN client_addr, DROP COLUMN prev_hash, DROP COLUMN hash;
ALTER TABLE import_job DROP COLUMN user_id;
DROP TABLE user_session;
DROP TABLE api_token;
DROP TABLE login_attempt;
DROP TABLE app_user;
