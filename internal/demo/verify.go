package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/pii"
)

// Invariants are the measured properties of the demo county that tests and the benchmark
// assert on. Ratios are plain fractions (1 = 100 %).
type Invariants struct {
	Source           string // the seed batch that loaded the county ("demo seed=1 parcels=20000")
	Parcels          int    // current parcels in the county
	ExpectedParcels  int    // what the seed batch asked for (at least one per village)
	Townships        int
	MissingTownships []string // real township names or codes not found as expected
	Villages         int
	Owners           int
	Areas, Zones     int

	CountyHa             float64 // ellipsoidal area of the stored county outline
	OutsideCounty        int     // parcels reaching more than 1 m outside the county
	OverlappingPairs     int     // parcel pairs whose interiors intersect
	InvalidParcels       int
	AreaSumRatio         float64 // Σ parcel area / county area
	VillageAreaSumRatio  float64 // Σ village area / county area
	TownshipAreaSumRatio float64 // Σ township area / county area
	OverlappingVillages  int     // village pairs whose interiors intersect
	VillagesOffTownship  int     // villages whose interior point is not in their township
	MaxTownshipMismatch  float64 // max |Σ village area − township area| / township area
	ParcelsOffVillage    int     // parcels whose interior point is not in their village
	MaxVillageMismatch   float64 // max |Σ parcel area − village area| / village area
	BadCodes             int     // parcel codes that are not xian+xiang+cun+lin_ban(4)+xiao_ban(5)
	MedianVertices       float64 // median ST_NPoints of the parcels
	MaxMianJiDeviation   float64 // max |MIAN_JI·10⁴ − ellipsoidal m²| / ellipsoidal m²
	MedianCompartment    float64 // median number of parcels per compartment (林班)

	ReserveSites           int     // separate sites of the bird reserve
	ReserveSitesIncomplete int     // sites lacking one of core, buffer, experimental
	ReserveHa              float64 // total ellipsoidal area of the reserve zones
	ReserveOutsideBox      int     // reserve zones outside 117°30′–117°51′E, 29°07′–29°35′N
	WetlandHa              float64
	WetlandProtectedShare  float64 // (conservation + restoration) / park
	ZonesOutsideCounty     int
	InvalidZones           int

	OwnerMismatches      int                // parcels whose owner kind or village does not fit LM_QS
	HouseholdsOffRange   int                // individual owners with no parcel or more than 8
	BadIDNumbers         int                // individual ID numbers failing GB 11643
	CategoryShare        map[string]float64 // SEN_LIN_LB share of the parcel area
	ProtectedCommercial  float64            // commercial share of the area of parcels inside reserve or park
	NeighbourSameSpecies float64            // share of adjacent parcel pairs with the same species
	RandomSameSpecies    float64            // the same share expected by chance

	Violations []string
}

var realTownships = map[string]string{
	"361130100": "紫阳镇", "361130101": "清华镇", "361130102": "秋口镇", "361130103": "江湾镇", "361130104": "思口镇", "361130106": "赋春镇",
}

var townshipNames = []string{"蚺城街道", "紫阳镇", "清华镇", "秋口镇", "江湾镇", "思口镇", "赋春镇", "镇头镇", "太白镇", "中云镇", "许村镇",
	"溪头乡", "段莘乡", "浙源乡", "沱川乡", "大鄣山乡", "珍珠山乡"}

// Verify measures the demo county and checks every invariant of the generator. It returns the
// measurements and, when any invariant fails, an error listing each failure. kr decrypts the
// owners' ID numbers for their check characters.
func Verify(ctx context.Context, pool *pgxpool.Pool, kr *pii.Keyring) (Invariants, error) {
	var inv Invariants
	if kr == nil {
		return inv, fmt.Errorf("demo verify: %w", pii.ErrNoKey)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return inv, oneLine("demo verify", err)
	}
	defer conn.Release()
	q := func(sql string, args []any, dest ...any) error {
		if err == nil {
			err = conn.QueryRow(ctx, sql, args...).Scan(dest...)
		}
		return err
	}
	var county bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM admin_unit WHERE code = '361130')`).Scan(&county); err != nil {
		return inv, oneLine("demo verify", err)
	}
	if !county {
		return inv, fmt.Errorf("demo verify: the database holds no county 361130; run `ecocomp seed demo` first")
	}
	_ = q(`SELECT coalesce((SELECT source FROM import_batch WHERE kind = 'seed' AND status = 'done' AND source LIKE 'demo %' ORDER BY id DESC LIMIT 1), '')`, nil, &inv.Source)
	_ = q(`SELECT count(*) FILTER (WHERE level = 'township'), count(*) FILTER (WHERE level = 'village'),
		(SELECT ST_Area(geom::geography) / 1e4 FROM admin_unit WHERE code = '361130')
		FROM admin_unit WHERE left(code, 6) = '361130'`, nil, &inv.Townships, &inv.Villages, &inv.CountyHa)
	_ = q(`SELECT (SELECT count(*) FROM owner WHERE demo), (SELECT count(*) FROM protected_area WHERE name IN ($1, $2)),
		(SELECT count(*) FROM zone z JOIN protected_area a ON a.id = z.area_id WHERE a.name IN ($1, $2))`, []any{ReserveName, WetlandName},
		&inv.Owners, &inv.Areas, &inv.Zones)
	if err != nil {
		return inv, oneLine("demo verify", err)
	}
	var n int
	if _, err := fmt.Sscanf(inv.Source, "demo seed=%d parcels=%d", new(int64), &n); err == nil && n > 0 {
		inv.ExpectedParcels = max(n, inv.Villages)
	}
	// townships: real names, the known codes
	rows, err := conn.Query(ctx, `SELECT code, name FROM admin_unit WHERE level = 'township' AND parent_code = '361130' ORDER BY code`)
	if err != nil {
		return inv, oneLine("demo verify", err)
	}
	have := map[string]string{}
	for rows.Next() {
		var c, nm string
		if err := rows.Scan(&c, &nm); err != nil {
			rows.Close()
			return inv, oneLine("demo verify", err)
		}
		have[nm] = c
	}
	rows.Close()
	for _, nm := range townshipNames {
		if _, ok := have[nm]; !ok {
			inv.MissingTownships = append(inv.MissingTownships, nm)
		}
	}
	for code, nm := range realTownships {
		if have[nm] != code {
			inv.MissingTownships = append(inv.MissingTownships, nm+" "+code)
		}
	}
	sort.Strings(inv.MissingTownships)

	const cur = `p.valid_to IS NULL AND p.xian = '361130'`
	_ = q(`WITH c AS (SELECT ST_Area(geom::geography) AS a FROM admin_unit WHERE code = '361130')
		SELECT (SELECT coalesce(sum(ST_Area(geom::geography)), 0) FROM admin_unit WHERE level = 'village' AND left(code, 6) = '361130') / c.a,
			(SELECT coalesce(sum(ST_Area(geom::geography)), 0) FROM admin_unit WHERE level = 'township' AND left(code, 6) = '361130') / c.a
		FROM c`, nil, &inv.VillageAreaSumRatio, &inv.TownshipAreaSumRatio)
	_ = q(`SELECT count(*) FROM admin_unit a JOIN admin_unit b ON a.code < b.code AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********')
		WHERE a.level = 'village' AND b.level = 'village' AND left(a.code, 6) = '361130' AND left(b.code, 6) = '361130'`, nil, &inv.OverlappingVillages)
	_ = q(`SELECT count(*) FROM admin_unit v JOIN admin_unit t ON t.code = v.parent_code
		WHERE v.level = 'village' AND left(v.code, 6) = '361130' AND NOT ST_Intersects(t.geom, ST_PointOnSurface(v.geom))`, nil, &inv.VillagesOffTownship)
	_ = q(`SELECT coalesce(max(abs(s.a - ST_Area(t.geom::geography)) / ST_Area(t.geom::geography)), 1)
		FROM admin_unit t JOIN (SELECT parent_code, sum(ST_Area(geom::geography)) AS a FROM admin_unit WHERE level = 'village' GROUP BY parent_code) s
		ON s.parent_code = t.code WHERE t.level = 'township' AND t.parent_code = '361130'`, nil, &inv.MaxTownshipMismatch)

	_ = q(`SELECT count(*), count(*) FILTER (WHERE NOT ST_IsValid(geom)),
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_NPoints(geom)), 0),
			coalesce(max(abs(mian_ji * 10000 - area_m2) / area_m2), 0),
			count(*) FILTER (WHERE code <> xian || xiang || cun || lin_ban || xiao_ban OR code !~ '^[0-9]{21}$'
				OR lin_ban !~ '^[0-9]{4}$' OR xiao_ban !~ '^[0-9]{5}$'),
			coalesce(sum(area_m2), 0)
		FROM parcel p WHERE `+cur, nil, &inv.Parcels, &inv.InvalidParcels, &inv.MedianVertices, &inv.MaxMianJiDeviation, &inv.BadCodes, new(float64))
	if err != nil {
		return inv, oneLine("demo verify", err)
	}
	if inv.Parcels > 0 {
		_ = q(`SELECT sum(area_m2) / (SELECT ST_Area(geom::geography) FROM admin_unit WHERE code = '361130') FROM parcel p WHERE `+cur, nil, &inv.AreaSumRatio)
		_ = q(`WITH c AS MATERIALIZED (SELECT ST_Buffer(ST_Transform(geom, 4548), 1) AS gb FROM admin_unit WHERE code = '361130')
			SELECT count(*) FROM parcel p, c WHERE `+cur+` AND NOT ST_Covers(c.gb, ST_Transform(p.geom, 4548))`, nil,
			&inv.OutsideCounty)
		_ = q(`SELECT count(*) FROM parcel p JOIN parcel b ON p.id < b.id AND p.geom && b.geom AND ST_Relate(p.geom, b.geom, '2********')
			WHERE `+cur+` AND b.valid_to IS NULL`, nil, &inv.OverlappingPairs)
		_ = q(`SELECT count(*) FROM parcel p JOIN admin_unit v ON v.code = p.village_code
			WHERE `+cur+` AND NOT ST_Intersects(v.geom, ST_PointOnSurface(p.geom))`, nil, &inv.ParcelsOffVillage)
		_ = q(`SELECT coalesce(max(abs(s.a - ST_Area(v.geom::geography)) / ST_Area(v.geom::geography)), 1)
			FROM admin_unit v JOIN (SELECT village_code, sum(area_m2) AS a FROM parcel p WHERE `+cur+` GROUP BY village_code) s
			ON s.village_code = v.code`, nil, &inv.MaxVillageMismatch)
		_ = q(`SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY n), 0) FROM
			(SELECT count(*) AS n FROM parcel p WHERE `+cur+` GROUP BY village_code, lin_ban) c`, nil, &inv.MedianCompartment)
		_ = q(`SELECT count(*) FROM parcel p JOIN owner o ON o.id = p.owner_id WHERE `+cur+` AND (
				o.kind IS DISTINCT FROM CASE p.lm_qs WHEN '10' THEN 'state' WHEN '20' THEN 'collective' WHEN '30' THEN 'individual'
					WHEN '40' THEN 'enterprise' WHEN '50' THEN 'partnership' END
				OR (o.kind IN ('individual', 'collective', 'partnership') AND o.village_code IS DISTINCT FROM p.village_code)
				OR (p.ld_qs = '10') <> (p.lm_qs = '10'))`, nil, &inv.OwnerMismatches)
		_ = q(`SELECT count(*) FROM owner o LEFT JOIN (SELECT owner_id, count(*) AS n FROM parcel WHERE valid_to IS NULL GROUP BY owner_id) c
			ON c.owner_id = o.id WHERE o.demo AND o.kind = 'individual' AND (c.n IS NULL OR c.n > 8)`, nil, &inv.HouseholdsOffRange)
		_ = q(`SELECT coalesce(sum(area_m2) FILTER (WHERE sen_lin_lb IN ('021', '022')) / nullif(sum(area_m2), 0), 0)
			FROM parcel p WHERE `+cur+` AND EXISTS (SELECT 1 FROM zone z JOIN protected_area a ON a.id = z.area_id
				WHERE a.name IN ($1, $2) AND ST_Intersects(z.geom, ST_PointOnSurface(p.geom)))`, []any{ReserveName, WetlandName}, &inv.ProtectedCommercial)
		_ = q(`WITH pairs AS (SELECT p.you_shi_sz = b.you_shi_sz AS same FROM parcel p JOIN parcel b ON p.id < b.id AND p.geom && b.geom
				AND p.village_code = b.village_code AND ST_Relate(p.geom, b.geom, '****1****')
				WHERE `+cur+` AND b.valid_to IS NULL AND p.you_shi_sz IS NOT NULL AND b.you_shi_sz IS NOT NULL),
			f AS (SELECT you_shi_sz, count(*)::float8 AS n FROM parcel p WHERE `+cur+` AND you_shi_sz IS NOT NULL GROUP BY you_shi_sz)
			SELECT coalesce((SELECT avg(same::int) FROM pairs), 0), (SELECT sum(n * n) / (sum(n) * sum(n)) FROM f)`, nil,
			&inv.NeighbourSameSpecies, &inv.RandomSameSpecies)
		if err != nil {
			return inv, oneLine("demo verify", err)
		}
		inv.CategoryShare = map[string]float64{}
		rows, err := conn.Query(ctx, `SELECT coalesce(sen_lin_lb, ''), sum(area_m2) / sum(sum(area_m2)) OVER () FROM parcel p WHERE `+cur+` GROUP BY 1 ORDER BY 1`)
		if err != nil {
			return inv, oneLine("demo verify", err)
		}
		for rows.Next() {
			var k string
			var v float64
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return inv, oneLine("demo verify", err)
			}
			inv.CategoryShare[k] = v
		}
		rows.Close()
		ids, err := conn.Query(ctx, `SELECT id_number_enc FROM owner WHERE demo AND kind = 'individual' ORDER BY id`)
		if err != nil {
			return inv, oneLine("demo verify", err)
		}
		for ids.Next() {
			var ct []byte
			if err := ids.Scan(&ct); err != nil {
				ids.Close()
				return inv, oneLine("demo verify", err)
			}
			s, err := kr.Decrypt(pii.FieldIDNumber, ct)
			if err != nil {
				ids.Close()
				return inv, fmt.Errorf("demo verify: %w", err)
			}
			if !validID(s) {
				inv.BadIDNumbers++
			}
		}
		ids.Close()
	}
	// zones
	_ = q(`SELECT count(DISTINCT z.site), coalesce(sum(ST_Area(z.geom::geography)) / 1e4, 0),
			count(*) FILTER (WHERE NOT ST_Within(z.geom, ST_MakeEnvelope(117.5, 29.116, 117.85, 29.5834, 4490)))
		FROM zone z JOIN protected_area a ON a.id = z.area_id WHERE a.name = $1`, []any{ReserveName}, &inv.ReserveSites, &inv.ReserveHa, &inv.ReserveOutsideBox)
	_ = q(`SELECT count(*) FROM (SELECT z.site FROM zone z JOIN protected_area a ON a.id = z.area_id WHERE a.name = $1
		GROUP BY z.site HAVING count(DISTINCT z.zone_kind) FILTER (WHERE z.zone_kind IN ('core', 'buffer', 'experimental')) <> 3) s`, []any{ReserveName}, &inv.ReserveSitesIncomplete)
	_ = q(`SELECT coalesce(sum(ST_Area(z.geom::geography)) / 1e4, 0),
			coalesce(sum(ST_Area(z.geom::geography)) FILTER (WHERE z.zone_kind IN ('conservation', 'restoration')) / nullif(sum(ST_Area(z.geom::geography)), 0), 0)
		FROM zone z JOIN protected_area a ON a.id = z.area_id WHERE a.name = $1`, []any{WetlandName}, &inv.WetlandHa, &inv.WetlandProtectedShare)
	_ = q(`SELECT count(*) FILTER (WHERE NOT ST_CoveredBy(z.geom, c.geom)), count(*) FILTER (WHERE NOT ST_IsValid(z.geom) OR GeometryType(z.geom) <> 'MULTIPOLYGON')
		FROM zone z JOIN protected_area a ON a.id = z.area_id, admin_unit c
		WHERE c.code = '361130' AND a.name IN ($1, $2)`, []any{ReserveName, WetlandName}, &inv.ZonesOutsideCounty, &inv.InvalidZones)
	if err != nil {
		return inv, oneLine("demo verify", err)
	}
	inv.Violations = inv.check()
	if len(inv.Violations) > 0 {
		return inv, fmt.Errorf("demo verify: %d invariants violated: %s", len(inv.Violations), strings.Join(inv.Violations, "; "))
	}
	return inv, nil
}

// check lists the violated invariants.
func (inv *Invariants) check() []string {
	var v []string
	add := func(bad bool, format string, args ...any) {
		if bad {
			v = append(v, fmt.Sprintf(format, args...))
		}
	}
	add(inv.Townships != 17, "%d townships, want 17", inv.Townships)
	add(len(inv.MissingTownships) > 0, "townships missing or miscoded: %s", strings.Join(inv.MissingTownships, ", "))
	add(inv.Villages < 150 || inv.Villages > 250, "%d villages, want 150–250", inv.Villages)
	add(math.Abs(inv.VillageAreaSumRatio-1) > 1e-6, "villages cover %.6f of the county, want 1", inv.VillageAreaSumRatio)
	add(math.Abs(inv.TownshipAreaSumRatio-1) > 1e-6, "townships cover %.6f of the county, want 1", inv.TownshipAreaSumRatio)
	add(inv.OverlappingVillages > 0, "%d overlapping village pairs", inv.OverlappingVillages)
	add(inv.VillagesOffTownship > 0, "%d villages outside their township", inv.VillagesOffTownship)
	add(inv.MaxTownshipMismatch > 1e-6, "a township differs from the union of its villages by %.2g", inv.MaxTownshipMismatch)
	add(inv.ReserveSites < 4 || inv.ReserveSites > 6, "reserve has %d sites, want 4–6", inv.ReserveSites)
	add(inv.ReserveSitesIncomplete > 0, "%d reserve sites lack core, buffer or experimental zone", inv.ReserveSitesIncomplete)
	add(math.Abs(inv.ReserveHa/ReserveTargetHa-1) > 0.1, "reserve is %.0f ha, want ≈%.0f", inv.ReserveHa, ReserveTargetHa)
	add(inv.ReserveOutsideBox > 0, "%d reserve zones outside 117°30′–117°51′E, 29°07′–29°35′N", inv.ReserveOutsideBox)
	add(math.Abs(inv.WetlandHa/WetlandTargetHa-1) > 0.1, "wetland park is %.1f ha, want ≈%.0f", inv.WetlandHa, WetlandTargetHa)
	add(inv.WetlandProtectedShare < 0.6, "wetland conservation + restoration is %.0f %%, want ≥ 60 %%", inv.WetlandProtectedShare*100)
	add(inv.ZonesOutsideCounty > 0, "%d zones reach outside the county", inv.ZonesOutsideCounty)
	add(inv.InvalidZones > 0, "%d zones are not valid multipolygons", inv.InvalidZones)
	add(inv.Parcels != inv.ExpectedParcels, "%d parcels, want %d", inv.Parcels, inv.ExpectedParcels)
	if inv.Parcels == 0 {
		return v
	}
	add(inv.OutsideCounty > 0, "%d parcels reach more than 1 m outside the county", inv.OutsideCounty)
	add(inv.OverlappingPairs > 0, "%d overlapping parcel pairs", inv.OverlappingPairs)
	add(inv.InvalidParcels > 0, "%d invalid parcels", inv.InvalidParcels)
	add(math.Abs(inv.AreaSumRatio-1) > 0.005, "parcels cover %.4f of the county, want 1 ± 0.005", inv.AreaSumRatio)
	add(inv.ParcelsOffVillage > 0, "%d parcels outside their village", inv.ParcelsOffVillage)
	add(inv.MaxVillageMismatch > 1e-6, "a village differs from the union of its parcels by %.2g", inv.MaxVillageMismatch)
	add(inv.BadCodes > 0, "%d malformed parcel codes", inv.BadCodes)
	add(inv.MedianVertices < 30, "median parcel has %.0f vertices, want ≥ 30", inv.MedianVertices)
	add(inv.MaxMianJiDeviation > 0.0005, "MIAN_JI deviates up to %.4f %% from the ellipsoidal area, want ≤ 0.05 %%", inv.MaxMianJiDeviation*100)
	add(inv.OwnerMismatches > 0, "%d parcels with an owner that does not fit their ownership codes", inv.OwnerMismatches)
	add(inv.HouseholdsOffRange > 0, "%d households own no parcel or more than 8", inv.HouseholdsOffRange)
	add(inv.BadIDNumbers > 0, "%d ID numbers fail the GB 11643 check", inv.BadIDNumbers)
	for k, want := range map[string]float64{"011": 0.30, "012": 0.15, "021": 0.10, "022": 0.45} {
		add(math.Abs(inv.CategoryShare[k]-want) > 0.05, "SEN_LIN_LB %s covers %.0f %% of the parcel area, want ≈%.0f %%", k, inv.CategoryShare[k]*100, want*100)
	}
	add(inv.ProtectedCommercial < 0.2 || inv.ProtectedCommercial > 0.4, "commercial forest is %.0f %% of the protected parcels, want 25–35 %%", inv.ProtectedCommercial*100)
	add(inv.NeighbourSameSpecies <= inv.RandomSameSpecies, "neighbours share species no more often than chance (%.2f vs %.2f)", inv.NeighbourSameSpecies, inv.RandomSameSpecies)
	return v
}

func validID(s string) bool {
	if len(s) != 18 || !strings.HasPrefix(s, "3611") {
		return false
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return idCheck(s[:17]) == s[17:]
}

// Checksum is an md5 over every seeded row of the county — admin units, protected areas, zones,
// owners and current parcels with their codes, attributes and ST_AsBinary(geom) — in a fixed
// order and without surrogate ids or timestamps, so two databases seeded alike compare equal.
// Owners' personal data enters as plaintext, decrypted with kr: the ciphertexts differ from run
// to run (random nonces) and from key to key, the data does not.
func Checksum(ctx context.Context, pool *pgxpool.Pool, kr *pii.Keyring) (string, error) {
	if kr == nil {
		return "", fmt.Errorf("demo checksum: %w", pii.ErrNoKey)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return "", oneLine("demo checksum", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := decryptedOwners(ctx, tx, kr); err != nil {
		return "", err
	}
	var sum string
	err = tx.QueryRow(ctx, `SELECT md5(coalesce(string_agg(h, '' ORDER BY s, k COLLATE "C"), '')) FROM (
		SELECT 1 AS s, code AS k, md5(concat_ws('|', code, level, name, parent_code, demo, md5(ST_AsBinary(geom)))) AS h
			FROM admin_unit WHERE left(code, 6) = '361130'
		UNION ALL
		SELECT 2, name, md5(concat_ws('|', name, area_kind, level, established, demo, note)) FROM protected_area WHERE name IN ($1, $2)
		UNION ALL
		SELECT 3, a.name || '|' || z.site || '|' || z.zone_kind, md5(concat_ws('|', a.name, z.area_kind, z.zone_kind, z.site, z.name, z.demo, md5(ST_AsBinary(z.geom))))
			FROM zone z JOIN protected_area a ON a.id = z.area_id WHERE a.name IN ($1, $2)
		UNION ALL
		SELECT 4, o.kind || '|' || coalesce(d.id_number, '') || '|' || o.name,
				md5(concat_ws('|', o.kind, o.name, d.id_number, d.bank_account, d.phone, o.village_code, o.demo))
			FROM owner o JOIN d_owner_plain d ON d.id = o.id WHERE o.demo
		UNION ALL
		SELECT 5, p.code, md5(concat_ws('|', p.code, p.mian_ji, p.code_scheme, `+fieldList("p.%s", "p.%s")+`,
				o.kind, d.id_number, p.demo, p.valid_from AT TIME ZONE 'UTC',
				md5(ST_AsBinary(p.geom))))
			FROM parcel p LEFT JOIN owner o ON o.id = p.owner_id LEFT JOIN d_owner_plain d ON d.id = o.id
			WHERE p.xian = '361130' AND p.valid_to IS NULL
	) rows`, ReserveName, WetlandName).Scan(&sum)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", oneLine("demo checksum", err)
	}
	return sum, nil
}

// decryptedOwners fills the temporary table d_owner_plain, dropped with tx, with the decrypted
// personal data of the owners Checksum reads: demo owners and owners of the county's parcels.
func decryptedOwners(ctx context.Context, tx pgx.Tx, kr *pii.Keyring) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE d_owner_plain (id bigint PRIMARY KEY, id_number text, bank_account text, phone text) ON COMMIT DROP`); err != nil {
		return oneLine("demo checksum", err)
	}
	rows, err := tx.Query(ctx, `SELECT o.id, o.id_number_enc, o.bank_account_enc, o.phone_enc FROM owner o
		WHERE o.demo OR o.id IN (SELECT owner_id FROM parcel WHERE xian = '361130' AND valid_to IS NULL) ORDER BY o.id`)
	if err != nil {
		return oneLine("demo checksum", err)
	}
	var plain [][]any
	for rows.Next() {
		var id int64
		var idn, bank, phone []byte
		if err := rows.Scan(&id, &idn, &bank, &phone); err != nil {
			rows.Close()
			return oneLine("demo checksum", err)
		}
		row := []any{id, nil, nil, nil}
		for i, c := range []struct {
			field string
			ct    []byte
		}{{pii.FieldIDNumber, idn}, {pii.FieldBankAccount, bank}, {pii.FieldPhone, phone}} {
			if c.ct == nil {
				continue
			}
			s, err := kr.Decrypt(c.field, c.ct)
			if err != nil {
				rows.Close()
				return fmt.Errorf("demo checksum: owner %d: %w", id, err)
			}
			row[1+i] = s
		}
		plain = append(plain, row)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return oneLine("demo checksum", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"d_owner_plain"}, []string{"id", "id_number", "bank_account", "phone"}, pgx.CopyFromRows(plain)); err != nil {
		return oneLine("demo checksum", err)
	}
	return nil
}
