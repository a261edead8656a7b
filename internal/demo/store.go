package demo

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/pii"
)

// The database side of the last step: what the drawing reads (each parcel's area and zone) and
// what it writes (owners, then parcels with their geometry reprojected to EPSG:4490). The drawing
// itself is in attrs.go (parcel attributes) and owners.go (owners).

// storeParcels draws owners and parcel attributes in Go and writes both.
func (g *gen) storeParcels() error {
	owners := newOwnerBook(g)
	if len(g.parcels) == 0 {
		if err := g.writeOwners(owners); err != nil {
			return err
		}
		g.progress("owners: %d", len(owners.rows))
		return nil
	}
	facts, err := g.readFacts()
	if err != nil {
		return err
	}
	attrs := g.attributes(facts)
	owners.assign(attrs, facts)
	if err := g.writeOwners(owners); err != nil {
		return err
	}
	if err := g.writeParcels(attrs); err != nil {
		return err
	}
	g.progress("owners: %d; parcels stored: %d", len(owners.rows), len(attrs))
	return nil
}

// readFacts reads each tessellated parcel's area and the zone its interior point lies in, in
// parcel order.
func (g *gen) readFacts() ([]parcelFacts, error) {
	facts := make([]parcelFacts, len(g.parcels))
	rows, err := g.tx.Query(g.ctx, `SELECT p.id, ST_Area(p.geom), coalesce(z.area_kind, ''), coalesce(z.zone_kind, '')
		FROM d_parcel p LEFT JOIN LATERAL (SELECT area_kind, zone_kind FROM d_zone z
			WHERE ST_Intersects(z.geom, ST_PointOnSurface(p.geom)) ORDER BY area_kind, zone_kind LIMIT 1) z ON true
		ORDER BY p.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var a float64
		var ak, zk string
		if err := rows.Scan(&id, &a, &ak, &zk); err != nil {
			return nil, err
		}
		facts[id-1] = parcelFacts{seed: g.parcels[id-1], areaHa: a / 1e4, areaKind: ak, zoneKind: zk}
	}
	return facts, rows.Err()
}

// writeParcels stores the parcels: attributes and owner from attrs, geometry from d_parcel
// reprojected to EPSG:4490 (and repaired where the reprojection made it invalid).
func (g *gen) writeParcels(attrs []parcelAttrs) error {
	// The inventory fields of the registry (fields.go), drawn as text.
	if err := g.exec(`CREATE TEMP TABLE d_pattr (id int, code text, ` + fieldList("%s text", "%s text") + `,
		owner_kind text, owner_hash bytea) ON COMMIT DROP`); err != nil {
		return err
	}
	fields := storedFields()
	cols := []string{"id", "code"}
	for _, f := range fields {
		cols = append(cols, f.Property)
	}
	if _, err := g.tx.CopyFrom(g.ctx, pgx.Identifier{"d_pattr"}, append(cols, "owner_kind", "owner_hash"),
		pgx.CopyFromSlice(len(attrs), func(i int) ([]any, error) {
			a := &attrs[i]
			row := []any{int32(a.id), a.code}
			for _, f := range fields {
				row = append(row, orNull(a.fieldValue(f.Code)))
			}
			return append(row, a.owner.kind, a.owner.hash), nil
		})); err != nil {
		return err
	}
	if err := g.exec(`CREATE TEMP TABLE d_parcel4490 ON COMMIT DROP AS SELECT id, ST_Multi(ST_Transform(geom, 4490)) AS geom FROM d_parcel`); err != nil {
		return err
	}
	tag, err := g.tx.Exec(g.ctx, `UPDATE d_parcel4490 SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) WHERE NOT ST_IsValid(geom)`)
	if err != nil {
		return err
	}
	if tag.RowsAffected() > 0 {
		g.progress("parcels repaired after reprojection: %d", tag.RowsAffected())
	}
	tag, err = g.tx.Exec(g.ctx, `INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, code_scheme,
			`+fieldList("%s", "%s")+`, owner_id, demo, geom, valid_from, batch_id)
		SELECT a.code, substr(a.code, 1, 6), substr(a.code, 7, 3), substr(a.code, 10, 3), substr(a.code, 13, 4), substr(a.code, 17, 5),
			round((ST_Area(ST_Transform(p.geom, 4548)) / 10000)::numeric, 4), '2020', `+fieldList("a.%s", "a.%s::numeric")+`,
			o.id, true, p.geom, $1::timestamptz, $2
		FROM d_pattr a JOIN d_parcel4490 p ON p.id = a.id
		JOIN owner o ON o.demo AND o.kind = a.owner_kind AND o.id_number_hash = a.owner_hash
		ORDER BY a.code`, validFrom, g.batchID)
	if err != nil {
		return err
	}
	if int(tag.RowsAffected()) != len(attrs) {
		return fmt.Errorf("stored %d of %d parcels", tag.RowsAffected(), len(attrs))
	}
	return nil
}

// writeOwners stores the owners with their ID numbers, accounts and phones encrypted (random
// nonces: the ciphertexts differ from run to run, the plaintexts and Checksum do not).
func (g *gen) writeOwners(ob *ownerBook) error {
	if err := g.exec(`CREATE TEMP TABLE d_owner (k int, kind text, name text, id_number_enc bytea, id_number_hash bytea,
		bank_account_enc bytea, phone_enc bytea, village_code text) ON COMMIT DROP`); err != nil {
		return err
	}
	kr := g.opt.PII
	for _, o := range ob.rows {
		o.hash = kr.SearchHash(o.idNumber)
	}
	if _, err := g.tx.CopyFrom(g.ctx, pgx.Identifier{"d_owner"}, []string{"k", "kind", "name", "id_number_enc", "id_number_hash",
		"bank_account_enc", "phone_enc", "village_code"},
		pgx.CopyFromSlice(len(ob.rows), func(i int) ([]any, error) {
			o := ob.rows[i]
			idn, err := kr.Encrypt(pii.FieldIDNumber, o.idNumber)
			if err != nil {
				return nil, err
			}
			bank, err := kr.Encrypt(pii.FieldBankAccount, o.bank)
			if err != nil {
				return nil, err
			}
			phone, err := kr.Encrypt(pii.FieldPhone, o.phone)
			if err != nil {
				return nil, err
			}
			return []any{int32(i + 1), o.kind, o.name, idn, o.hash, bank, phone, orNull(o.village)}, nil
		})); err != nil {
		return err
	}
	g.sum.Owners = len(ob.rows)
	return g.exec(`INSERT INTO owner (kind, name, id_number_enc, id_number_hash, bank_account_enc, phone_enc, village_code, demo)
		SELECT kind, name, id_number_enc, id_number_hash, bank_account_enc, phone_enc, village_code, true FROM d_owner ORDER BY k`)
}

// orNull is s, or NULL for "" (nothing drawn).
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}
