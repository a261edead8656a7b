-- +goose Up
-- The roll pays what owners receive: each subsidy line keeps the part of its amount the county
-- retains (the 公共管护 part of the national public-welfare compensation, 0.25 元/亩), so the
-- owner's share is amount_fen − retained_fen. Lines at a zero rate (a programme whose rate is not
-- known yet, or a part of a parcel whose logging a zone forbids and no programme pays) are kept
-- too: the roll lists them as pending.
ALTER TABLE subsidy_line
    ADD COLUMN retained_fen bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT subsidy_line_retained_within_amount CHECK (retained_fen >= 0 AND retained_fen <= amount_fen);

-- +goose Down
ALTER TABLE subsidy_line DROP CONSTRAINT subsidy_line_retained_within_amount, DROP COLUMN retained_fen;
