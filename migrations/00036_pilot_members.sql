-- +goose Up
-- Which staff accounts belong to which pilot unit: a progress entry is written only by a
-- signed-in member of the indicator's lead or partner units (others get 403). Set with
-- `ecocomp pilot member USER UNIT…`; an account may belong to several units.
CREATE TABLE pilot_member (
    user_id   bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    unit_code text NOT NULL REFERENCES pilot_unit (code),
    added_at  timestamptz NOT NULL DEFAULT now(),
    added_by  text NOT NULL,
    PRIMARY KEY (user_id, unit_code)
);

-- +goose Down
DROP TABLE pilot_member;
