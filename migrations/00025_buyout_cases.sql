-- +goose Up
-- Buyout cases (赎买 and the other modes of the pilot plan): an owner's application carried
-- through verification, appraisal, public notice, contract, payments and the change of forest
-- rights. The case row holds the current state and what each step recorded; its history, its
-- objections and its payments are append-only tables beside it.

-- Case numbers count per county, mode code and year without gaps: WY-SM-2026-0001.
CREATE TABLE case_number (
    prefix text NOT NULL,
    year   int NOT NULL,
    last   int NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE buyout_case (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number          text NOT NULL UNIQUE,
    county          text NOT NULL CHECK (county ~ '^[0-9]{6}$'),
    mode            text NOT NULL CHECK (mode IN ('buyout', 'lease', 'exchange', 'custody', 'equity', 'concession', 'closure_agreement')),
    owner_id        bigint NOT NULL REFERENCES owner (id),
    status          text NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'verified', 'appraised', 'noticed', 'signed',
                        'transferred', 'in_force', 'closed', 'rejected', 'withdrawn')),
    -- version counts the case's changes: a transition names the version it expects.
    version         int NOT NULL DEFAULT 1 CHECK (version >= 1),
    policy_version  text NOT NULL,
    opened_at       timestamptz NOT NULL DEFAULT now(),
    opened_by       text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    note            text NOT NULL DEFAULT '',
    -- verified: the field check (date, who, boundaries and rights confirmed, encumbrances)
    verification    jsonb,
    -- appraised: the third-party appraisal and the indicative price it is compared with
    appraised_fen   bigint CHECK (appraised_fen >= 0),
    indicative_fen  bigint CHECK (indicative_fen >= 0),
    appraiser       text,
    appraisal_ref   text,
    -- noticed: the public notice (公示)
    notice_start    date,
    notice_days     int CHECK (notice_days > 0),
    -- signed: the contract. price_fen is the lump sum (buyout, exchange difference, equity);
    -- yearly_fen × term_years the yearly modes' total.
    contract_number text UNIQUE,
    signed_on       date,
    price_fen       bigint CHECK (price_fen >= 0),
    yearly_fen      bigint CHECK (yearly_fen >= 0),
    term_years      int CHECK (term_years > 0),
    starts_on       date,
    ends_on         date,
    schedule        jsonb,
    over_budget     boolean NOT NULL DEFAULT false,
    -- transferred: the change of forest rights (林权变更登记)
    transferred_on  date,
    registration    text,
    -- rejected or withdrawn
    reason          text,
    CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on > starts_on)
);
CREATE INDEX buyout_case_status ON buyout_case (status, mode);
CREATE INDEX buyout_case_owner ON buyout_case (owner_id);

-- The parcels of a case: the owner's (offered) and, in an exchange, the reserve's parcels the
-- owner receives (counterpart). open is true while the case is open; a parcel is in at most one
-- open case. frozen is the parcel's eligibility as verified (rules, policy version, parcel
-- version), kept as it was whatever the policy or the parcel does later.
CREATE TABLE case_parcel (
    case_id    bigint NOT NULL REFERENCES buyout_case (id),
    code       text NOT NULL,
    role       text NOT NULL DEFAULT 'offered' CHECK (role IN ('offered', 'counterpart')),
    parcel_id  bigint NOT NULL REFERENCES parcel (id),
    open       boolean NOT NULL DEFAULT true,
    opened_on  date NOT NULL,
    closed_on  date,
    frozen     jsonb,
    -- the parcel's share of the contract (allocated by legal area), for the reserve's cost and
    -- the yearly roll lines
    share_fen  bigint CHECK (share_fen >= 0),
    yearly_share_fen bigint CHECK (yearly_share_fen >= 0),
    PRIMARY KEY (case_id, code)
);
CREATE UNIQUE INDEX case_parcel_one_open_case ON case_parcel (code) WHERE open;
CREATE INDEX case_parcel_code ON case_parcel (code, opened_on);

-- Every step of a case, with who took it. Append-only.
CREATE TABLE case_event (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id    bigint NOT NULL REFERENCES buyout_case (id),
    version    int NOT NULL,
    action     text NOT NULL,
    from_status text,
    to_status  text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    user_id    bigint REFERENCES app_user (id),
    detail     jsonb NOT NULL DEFAULT '{}',
    UNIQUE (case_id, version)
);

-- Objections raised during the public notice. A case may not be signed while one is open.
CREATE TABLE case_objection (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES buyout_case (id),
    raised_on   date NOT NULL,
    raised_by   text NOT NULL,
    text        text NOT NULL CHECK (text <> ''),
    recorded_by text NOT NULL,
    resolved_at timestamptz,
    resolved_by text,
    resolution  text,
    CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);
CREATE INDEX case_objection_case ON case_objection (case_id);

-- Payments against a contract: an append-only ledger (a mistaken payment is reversed by a
-- negative row naming it); what is paid is their sum, which never exceeds what is due.
CREATE TABLE case_payment (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES buyout_case (id),
    amount_fen  bigint NOT NULL CHECK (amount_fen <> 0),
    paid_on     date NOT NULL,
    voucher     text NOT NULL CHECK (voucher <> ''),
    reverses    bigint REFERENCES case_payment (id),
    recorded_by text NOT NULL,
    user_id     bigint REFERENCES app_user (id),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((amount_fen < 0) = (reverses IS NOT NULL)),
    UNIQUE (case_id, voucher)
);
CREATE INDEX case_payment_case ON case_payment (case_id);

-- Documents of the case file (scans, PDFs, photos), kept in the database with their checksum.
CREATE TABLE case_document (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES buyout_case (id),
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL DEFAULT 'other',
    media_type  text NOT NULL,
    size        bigint NOT NULL CHECK (size > 0),
    sha256      text NOT NULL,
    content     bytea NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_document_case ON case_document (case_id);

-- +goose StatementBegin
CREATE FUNCTION case_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'record a correcting entry (a reversal) instead of changing history';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER case_event_append_only BEFORE UPDATE OR DELETE ON case_event
    FOR EACH ROW EXECUTE FUNCTION case_ledger_append_only();
CREATE TRIGGER case_payment_append_only BEFORE UPDATE OR DELETE ON case_payment
    FOR EACH ROW EXECUTE FUNCTION case_ledger_append_only();
CREATE TRIGGER case_event_no_truncate BEFORE TRUNCATE ON case_event
    FOR EACH STATEMENT EXECUTE FUNCTION case_ledger_append_only();
CREATE TRIGGER case_payment_no_truncate BEFORE TRUNCATE ON case_payment
    FOR EACH STATEMENT EXECUTE FUNCTION case_ledger_append_only();

-- Agreements written by a case carry it and the parcel's yearly payment (the roll's line).
ALTER TABLE parcel_agreement ADD COLUMN case_id bigint REFERENCES buyout_case (id);
ALTER TABLE parcel_agreement ADD COLUMN yearly_fen bigint CHECK (yearly_fen >= 0);

-- +goose Down
ALTER TABLE parcel_agreement DROP COLUMN yearly_fen;
ALTER TABLE parcel_agreement DROP COLUMN case_id;
DROP TABLE case_document;
DROP TABLE case_payment;
DROP TABLE case_objection;
DROP TABLE case_event;
DROP TABLE case_parcel;
DROP TABLE buyout_case;
DROP TABLE case_number;
DROP FUNCTION case_ledger_append_only;
