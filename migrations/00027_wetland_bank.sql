-- +goose Up
-- The wetland bank (湿地银行) of a wetland park: the wetland inventory as patches, credit
-- projects that restore, create, enhance or preserve wetland, debits (development that occupies
-- wetland) and the sales that settle them, all moving credits and money through one append-only
-- ledger. Credits are integer hundredths (centi-credits), money integer 分; balances are sums.

-- Wetland types after GB/T 24708-2009 湿地分类 (class → type). The names follow the standard's
-- classes and types as recalled; the platform's four-digit codes (class digit, type number) and
-- the list itself were not checked against the standard's text (confirmed = false).
CREATE TABLE wetland_type (
    code       text PRIMARY KEY CHECK (code ~ '^[0-9]{4}$'),
    name       text NOT NULL UNIQUE CHECK (name <> ''),
    class_name text NOT NULL,
    confirmed  boolean NOT NULL DEFAULT false
);
INSERT INTO wetland_type (code, name, class_name) VALUES
    ('1101', '浅海水域', '近海与海岸湿地'),
    ('1102', '潮间淤泥海滩', '近海与海岸湿地'),
    ('1103', '河口水域', '近海与海岸湿地'),
    ('1201', '永久性河流', '河流湿地'),
    ('1202', '季节性或间歇性河流', '河流湿地'),
    ('1203', '洪泛湿地', '河流湿地'),
    ('1204', '喀斯特溶洞湿地', '河流湿地'),
    ('1301', '永久性淡水湖', '湖泊湿地'),
    ('1302', '永久性咸水湖', '湖泊湿地'),
    ('1303', '季节性淡水湖', '湖泊湿地'),
    ('1304', '季节性咸水湖', '湖泊湿地'),
    ('1401', '藓类沼泽', '沼泽湿地'),
    ('1402', '草本沼泽', '沼泽湿地'),
    ('1403', '灌丛沼泽', '沼泽湿地'),
    ('1404', '森林沼泽', '沼泽湿地'),
    ('1405', '内陆盐沼', '沼泽湿地'),
    ('1406', '沼泽化草甸', '沼泽湿地'),
    ('1407', '地热湿地', '沼泽湿地'),
    ('1408', '淡水泉/绿洲湿地', '沼泽湿地'),
    ('2001', '水库', '人工湿地'),
    ('2002', '运河、输水河', '人工湿地'),
    ('2003', '淡水养殖场', '人工湿地'),
    ('2004', '农用池塘', '人工湿地'),
    ('2005', '灌溉用沟、渠', '人工湿地'),
    ('2006', '稻田/冬水田', '人工湿地'),
    ('2007', '季节性洪泛农业用地', '人工湿地'),
    ('2008', '采矿挖掘区和塌陷积水区', '人工湿地'),
    ('2009', '废水处理场所', '人工湿地'),
    ('2010', '城市人工景观水面和娱乐水面', '人工湿地');

-- The wetland inventory: one row per patch (图斑), its type, its importance (national important
-- wetland, provincial important wetland, general wetland) and its outline. An import replaces
-- the layer (of one protected area, or all of it) in one transaction; patches do not overlap.
CREATE TABLE wetland_patch (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL DEFAULT '',
    type_code   text NOT NULL REFERENCES wetland_type (code),
    importance  text NOT NULL CHECK (importance IN ('national', 'provincial', 'general')),
    name        text NOT NULL DEFAULT '',
    area_id     bigint REFERENCES protected_area (id) ON DELETE SET NULL,
    demo        boolean NOT NULL DEFAULT false,
    source      text NOT NULL DEFAULT '',
    imported_at timestamptz NOT NULL DEFAULT now(),
    geom        geometry(MultiPolygon, 4490) NOT NULL CONSTRAINT wetland_patch_geom_valid CHECK (geom_ok(geom))
);
CREATE INDEX wetland_patch_geom_idx ON wetland_patch USING gist (geom);

-- A credit project: a sponsor restores (恢复), creates (新建), enhances (提升) or preserves (保存)
-- wetland on a footprint. Its credits are the footprint's area (亩, EPSG:4548) ÷ the policy's
-- 亩 per credit of its kind, computed when it is proposed and issued when it is approved.
CREATE TABLE wetland_project (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL CHECK (name <> ''),
    kind           text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    credit_type    text NOT NULL,
    sponsor        text NOT NULL CHECK (sponsor <> ''),
    baseline       text NOT NULL CHECK (baseline <> ''),
    status         text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'rejected')),
    version        int NOT NULL DEFAULT 1 CHECK (version >= 1),
    policy_version text NOT NULL,
    area_centimu   bigint NOT NULL CHECK (area_centimu > 0),
    -- 亩 per credit in millionths (policy.Decimal), as the policy said when proposed
    mu_per_credit  bigint NOT NULL CHECK (mu_per_credit > 0),
    credits_centi  bigint NOT NULL CHECK (credits_centi >= 0),
    -- the release milestones as the policy said when proposed: [{id, name, share, years}]
    milestones     jsonb NOT NULL,
    area_id        bigint REFERENCES protected_area (id) ON DELETE SET NULL,
    service_area   text NOT NULL DEFAULT '',
    county         text,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    decided_by     text,
    decided_at     timestamptz,
    reason         text,
    geom           geometry(MultiPolygon, 4490) NOT NULL CONSTRAINT wetland_project_geom_valid CHECK (geom_ok(geom))
);
CREATE INDEX wetland_project_geom_idx ON wetland_project USING gist (geom);

-- A debit: a development application whose footprint occupies wetland. The figures (per type and
-- importance: 亩 occupied, ratio, credits required, the basis) are kept as computed.
CREATE TABLE wetland_debit (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    applicant       text NOT NULL CHECK (applicant <> ''),
    purpose         text NOT NULL DEFAULT '',
    activity        text NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'settled')),
    version         int NOT NULL DEFAULT 1 CHECK (version >= 1),
    policy_version  text NOT NULL,
    occupied_centimu bigint NOT NULL CHECK (occupied_centimu >= 0),
    required_centi  bigint NOT NULL CHECK (required_centi >= 0),
    lines           jsonb NOT NULL,
    art21           jsonb,
    area_id         bigint REFERENCES protected_area (id) ON DELETE SET NULL,
    service_area    text NOT NULL DEFAULT '',
    county          text,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    geom            geometry(MultiPolygon, 4490) NOT NULL CONSTRAINT wetland_debit_geom_valid CHECK (geom_ok(geom))
);
CREATE INDEX wetland_debit_geom_idx ON wetland_debit USING gist (geom);
CREATE INDEX wetland_debit_applicant ON wetland_debit (applicant);

-- A release of a project's credits against a milestone, with its evidence and verifier.
CREATE TABLE wetland_release (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id    bigint NOT NULL REFERENCES wetland_project (id),
    milestone     text NOT NULL,
    credits_centi bigint NOT NULL CHECK (credits_centi > 0),
    verified_on   date NOT NULL,
    verifier      text NOT NULL CHECK (verifier <> ''),
    evidence      text NOT NULL CHECK (evidence <> ''),
    note          text NOT NULL DEFAULT '',
    recorded_by   text NOT NULL,
    user_id       bigint REFERENCES app_user (id),
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, milestone)
);

-- A sale: a buyer settles (part of) a debit with released credits of one or more projects at an
-- appraised price per credit; the payment goes to the wetland protection fund.
CREATE TABLE wetland_sale (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    debit_id            bigint NOT NULL REFERENCES wetland_debit (id),
    buyer               text NOT NULL,
    price_fen           bigint NOT NULL CHECK (price_fen > 0),
    reference_price_fen bigint NOT NULL CHECK (reference_price_fen >= 0),
    appraiser           text NOT NULL CHECK (appraiser <> ''),
    appraised_on        date NOT NULL,
    appraisal_report    text NOT NULL CHECK (appraisal_report <> ''),
    credits_centi       bigint NOT NULL CHECK (credits_centi > 0),
    amount_fen          bigint NOT NULL CHECK (amount_fen > 0),
    fund                text NOT NULL,
    paid_on             date NOT NULL,
    voucher             text NOT NULL UNIQUE CHECK (voucher <> ''),
    recorded_by         text NOT NULL,
    user_id             bigint REFERENCES app_user (id),
    recorded_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wetland_sale_debit ON wetland_sale (debit_id);

-- The ledger. issue: credits a project earns on approval; reserve: the reserve share held back
-- (+) and let go (−) when the reserve milestone releases; release: credits made saleable;
-- sale: credits of a project sold to a debit (with the money of that line); retire: the same
-- credits retired against the debit's impact; payment: the sale's money booked to the fund;
-- correction: a signed change of one bucket (issued, released or sold), with its reason.
CREATE TABLE wetland_ledger (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('issue', 'reserve', 'release', 'sale', 'retire', 'payment', 'correction')),
    bucket      text CHECK (bucket IN ('issued', 'released', 'sold')),
    project_id  bigint REFERENCES wetland_project (id),
    debit_id    bigint REFERENCES wetland_debit (id),
    sale_id     bigint REFERENCES wetland_sale (id),
    release_id  bigint REFERENCES wetland_release (id),
    centi       bigint NOT NULL DEFAULT 0,
    fen         bigint NOT NULL DEFAULT 0,
    note        text NOT NULL DEFAULT '',
    actor       text NOT NULL,
    user_id     bigint REFERENCES app_user (id),
    at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'correction') = (bucket IS NOT NULL)),
    CHECK (kind = 'payment' OR project_id IS NOT NULL),
    CHECK (kind NOT IN ('sale', 'retire', 'payment') OR (debit_id IS NOT NULL AND sale_id IS NOT NULL)),
    CHECK (kind IN ('correction', 'reserve') OR (centi >= 0 AND fen >= 0))
);
CREATE INDEX wetland_ledger_project ON wetland_ledger (project_id, id);
CREATE INDEX wetland_ledger_debit ON wetland_ledger (debit_id, id);

-- +goose StatementBegin
-- A second line of defence behind the row locks the code takes: at commit, no project may have
-- released more than it was issued, sold more than it released, or any bucket below zero.
CREATE FUNCTION wetland_ledger_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b record;
BEGIN
    SELECT coalesce(sum(centi) FILTER (WHERE kind = 'issue' OR bucket = 'issued'), 0) AS issued,
           coalesce(sum(centi) FILTER (WHERE kind = 'release' OR bucket = 'released'), 0) AS released,
           coalesce(sum(centi) FILTER (WHERE kind = 'sale' OR bucket = 'sold'), 0) AS sold,
           coalesce(sum(centi) FILTER (WHERE kind = 'reserve'), 0) AS held
      INTO b FROM wetland_ledger WHERE project_id = NEW.project_id;
    IF b.sold < 0 OR b.held < 0 OR b.sold > b.released OR b.released > b.issued THEN
        RAISE EXCEPTION 'wetland project % would be out of balance: issued %, released %, sold %, held % (centi-credits)',
            NEW.project_id, b.issued, b.released, b.sold, b.held
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER wetland_ledger_balanced AFTER INSERT ON wetland_ledger
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.project_id IS NOT NULL)
    EXECUTE FUNCTION wetland_ledger_balanced();

-- History is never edited: a mistake is corrected by a new entry.
CREATE TRIGGER wetland_ledger_append_only BEFORE UPDATE OR DELETE ON wetland_ledger
    FOR EACH ROW EXECUTE FUNCTION case_ledger_append_only();
CREATE TRIGGER wetland_ledger_no_truncate BEFORE TRUNCATE ON wetland_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION case_ledger_append_only();
CREATE TRIGGER wetland_release_append_only BEFORE UPDATE OR DELETE ON wetland_release
    FOR EACH ROW EXECUTE FUNCTION case_ledger_append_only();
CREATE TRIGGER wetland_release_no_truncate BEFORE TRUNCATE ON wetland_release
    FOR EACH STATEMENT EXECUTE FUNCTION case_ledger_append_only();
CREATE TRIGGER wetland_sale_append_only BEFORE UPDATE OR DELETE ON wetland_sale
    FOR EACH ROW EXECUTE FUNCTION case_ledger_append_only();
CREATE TRIGGER wetland_sale_no_truncate BEFORE TRUNCATE ON wetland_sale
    FOR EACH STATEMENT EXECUTE FUNCTION case_ledger_append_only();

-- +goose Down
DROP TABLE wetland_ledger;
DROP FUNCTION wetland_ledger_balanced;
DROP TABLE wetland_sale;
DROP TABLE wetland_release;
DROP TABLE wetland_debit;
DROP TABLE wetland_project;
DROP TABLE wetland_patch;
DROP TABLE wetland_type;
