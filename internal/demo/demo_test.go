package demo

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// testParcels keeps the county small enough for a quick suite while every village still holds
// several compartments' worth of parcels.
const testParcels = 5000

// seed seeds with opt, encrypting with the test key unless opt.PII says otherwise.
func seed(t *testing.T, pool *pgxpool.Pool, opt Options) Summary {
	t.Helper()
	if opt.PII == nil {
		opt.PII = piitest.TestKeyring(t)
	}
	sum, err := Seed(context.Background(), pool, opt)
	if err != nil {
		t.Fatalf("Seed(%+v): %v", opt, err)
	}
	return sum
}

func checksum(t *testing.T, pool *pgxpool.Pool, kr *pii.Keyring) string {
	t.Helper()
	s, err := Checksum(context.Background(), pool, kr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// townshipGeoms returns code → md5 of the township geometry.
func townshipGeoms(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT code, md5(ST_AsBinary(geom)) FROM admin_unit WHERE level = 'township' ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var c, h string
		if err := rows.Scan(&c, &h); err != nil {
			t.Fatal(err)
		}
		out[c] = h
	}
	return out
}

func TestDemoCounty(t *testing.T) {
	ctx := context.Background()
	pool, dbURL := pgtest.NewWithURL(t)
	var steps []string
	sum := seed(t, pool, Options{Parcels: testParcels, Seed: 1, Progress: func(s string) { steps = append(steps, s) }})
	if len(steps) == 0 {
		t.Error("Progress was never called")
	}
	if sum.Townships != 17 || sum.Parcels != testParcels || sum.Areas != 2 || sum.AlreadyLoaded {
		t.Errorf("summary = %+v, want 17 townships, %d parcels, 2 areas", sum, testParcels)
	}
	if sum.Villages < 150 || sum.Villages > 250 {
		t.Errorf("villages = %d, want 150–250", sum.Villages)
	}
	kr := piitest.TestKeyring(t)
	inv, err := Verify(ctx, pool, kr)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	t.Logf("invariants: %+v", inv)

	t.Run("coverage", func(t *testing.T) {
		if inv.OutsideCounty != 0 {
			t.Errorf("%d parcels reach more than 1 m outside the county", inv.OutsideCounty)
		}
		if inv.OverlappingPairs != 0 {
			t.Errorf("%d overlapping parcel pairs", inv.OverlappingPairs)
		}
		if math.Abs(inv.AreaSumRatio-1) > 0.005 {
			t.Errorf("parcel areas sum to %.5f of the county, want 1 ± 0.005", inv.AreaSumRatio)
		}
		if inv.ParcelsOffVillage != 0 || inv.MaxVillageMismatch > 1e-6 {
			t.Errorf("parcels do not nest in villages: %d off, area mismatch %.2g", inv.ParcelsOffVillage, inv.MaxVillageMismatch)
		}
		if inv.Parcels != testParcels {
			t.Errorf("parcels = %d, want exactly %d", inv.Parcels, testParcels)
		}
	})

	t.Run("townships", func(t *testing.T) {
		want := map[string]string{"361130100": "紫阳镇", "361130101": "清华镇", "361130102": "秋口镇",
			"361130103": "江湾镇", "361130104": "思口镇", "361130106": "赋春镇"}
		rows, err := pool.Query(ctx, `SELECT code, name, demo, ST_SRID(geom) FROM admin_unit WHERE level = 'township' ORDER BY code`)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for rows.Next() {
			var code, name string
			var demo bool
			var srid int
			if err := rows.Scan(&code, &name, &demo, &srid); err != nil {
				t.Fatal(err)
			}
			got[name] = code
			if !demo || srid != 4490 || !strings.HasPrefix(code, "361130") || len(code) != 9 {
				t.Errorf("township %s %s: demo=%v srid=%d", code, name, demo, srid)
			}
		}
		rows.Close()
		for _, n := range townshipNames {
			if _, ok := got[n]; !ok {
				t.Errorf("township %s missing", n)
			}
		}
		for code, name := range want {
			if got[name] != code {
				t.Errorf("%s has code %q, want %s", name, got[name], code)
			}
		}
		if inv.OverlappingVillages != 0 || inv.VillagesOffTownship != 0 || inv.MaxTownshipMismatch > 1e-6 ||
			math.Abs(inv.VillageAreaSumRatio-1) > 1e-6 || math.Abs(inv.TownshipAreaSumRatio-1) > 1e-6 {
			t.Errorf("villages do not tile the townships and the county: %+v", inv)
		}
		var badVillageCodes int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM admin_unit WHERE level = 'village' AND (code !~ '^361130[0-9]{6}$' OR NOT demo)`).Scan(&badVillageCodes); err != nil {
			t.Fatal(err)
		}
		if badVillageCodes != 0 {
			t.Errorf("%d villages with a bad code or not marked demo", badVillageCodes)
		}
	})

	t.Run("county outline", func(t *testing.T) {
		var demo bool
		var srid int
		var ha float64
		var gtype string
		if err := pool.QueryRow(ctx, `SELECT demo, ST_SRID(geom), ST_Area(geom::geography) / 1e4, GeometryType(geom) FROM admin_unit WHERE code = '361130'`).
			Scan(&demo, &srid, &ha, &gtype); err != nil {
			t.Fatal(err)
		}
		if demo || srid != 4490 || gtype != "MULTIPOLYGON" || math.Abs(ha-296576) > 50 {
			t.Errorf("county: demo=%v srid=%d type=%s area=%.0f ha, want real outline of ≈296,576 ha", demo, srid, gtype, ha)
		}
	})

	t.Run("parcel detail", func(t *testing.T) {
		if inv.MedianVertices < 30 {
			t.Errorf("median parcel has %.0f vertices, want ≥ 30", inv.MedianVertices)
		}
		if inv.MaxMianJiDeviation > 0.0005 {
			t.Errorf("MIAN_JI deviates up to %.4f %% from the ellipsoidal area", inv.MaxMianJiDeviation*100)
		}
		var bad int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM parcel WHERE mian_ji <> round((area_plane_m2 / 10000)::numeric, 4)
			OR length(code) <> 21 OR code <> village_code || lin_ban || xiao_ban OR valid_from <> '2026-01-01T00:00:00+08:00' OR NOT demo`).Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Errorf("%d parcels with MIAN_JI, code, valid_from or demo flag off", bad)
		}
		if inv.MedianCompartment < 15 || inv.MedianCompartment > 40 {
			t.Errorf("median compartment holds %.0f parcels, want 15–40", inv.MedianCompartment)
		}
	})

	t.Run("attributes and owners", func(t *testing.T) {
		for k, want := range map[string]float64{"011": 0.30, "012": 0.15, "021": 0.10, "022": 0.45} {
			if math.Abs(inv.CategoryShare[k]-want) > 0.05 {
				t.Errorf("SEN_LIN_LB %s share = %.3f, want ≈ %.2f", k, inv.CategoryShare[k], want)
			}
		}
		if inv.ProtectedCommercial < 0.25 || inv.ProtectedCommercial > 0.35 {
			t.Errorf("commercial share inside the protected areas = %.3f, want 0.25–0.35", inv.ProtectedCommercial)
		}
		if inv.OwnerMismatches != 0 || inv.HouseholdsOffRange != 0 || inv.BadIDNumbers != 0 {
			t.Errorf("owners: %d mismatches, %d households off 1–8, %d bad ID numbers", inv.OwnerMismatches, inv.HouseholdsOffRange, inv.BadIDNumbers)
		}
		if inv.NeighbourSameSpecies <= inv.RandomSameSpecies {
			t.Errorf("neighbours share species %.2f of the time, chance %.2f: not spatially coherent", inv.NeighbourSameSpecies, inv.RandomSameSpecies)
		}
		var collectives, villages, enterprises, farms, notDemo, inconsistent int
		if err := pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM owner WHERE kind = 'collective' AND name ~ '(村民|居民)委员会$'),
			(SELECT count(*) FROM admin_unit WHERE level = 'village'),
			(SELECT count(*) FROM owner WHERE kind = 'enterprise' AND name LIKE '%有限公司'),
			(SELECT count(*) FROM owner WHERE kind = 'state' AND name LIKE '%国有林场'),
			(SELECT count(*) FROM owner WHERE NOT demo),
			(SELECT count(*) FROM parcel WHERE
				(di_lei = '030200' AND you_shi_sz IS DISTINCT FROM '660000')
				OR (you_shi_sz IN ('751000', '755000') AND sen_lin_lb IN ('011', '012'))
				OR ((shi_quan_d IS NOT NULL) <> (sen_lin_lb IN ('011', '012')))
				OR (gjgyl_bhdj IS NOT NULL AND shi_quan_d IS DISTINCT FROM '1')
				OR (di_lei LIKE '0303%' AND coalesce(xu_ji, 0) > 0)
				OR (sen_lin_lb IN ('011', '012') AND lin_zhong NOT LIKE '1%')
				OR (sen_lin_lb IN ('021', '022') AND lin_zhong NOT LIKE '2%'))`).
			Scan(&collectives, &villages, &enterprises, &farms, &notDemo, &inconsistent); err != nil {
			t.Fatal(err)
		}
		if collectives != villages || enterprises < 3 || farms != 1 || notDemo != 0 || inconsistent != 0 {
			t.Errorf("collectives %d (villages %d), enterprises %d, state farms %d, non-demo owners %d, inconsistent parcels %d",
				collectives, villages, enterprises, farms, notDemo, inconsistent)
		}
	})

	// Combinations an inventory engineer would reject (issue 12, point 7; each count was > 0
	// before the generator was fixed): timber volume on economic forest (25x, migration 00021);
	// economic forest or broadleaf timber stands coded as energy forest (only coppiced oak,
	// 410000 of origin 13, is 240; the oil-tea and tea stands are 252 and 255); a national grade
	// on commercial forest; national public-welfare forest lying wholly in the national reserve
	// (any zone) not in grade 1; forest-land grades that do not follow the place and category —
	// Ⅰ in the reserve's core and buffer, Ⅱ in its other zones, and provincial or local
	// public-welfare forest outside the protected areas in Ⅲ, not Ⅱ.
	t.Run("codes follow category and place", func(t *testing.T) {
		var volume, energy, commercialGrade, reserveGrade, reserveNational, coreBH, restBH, localBH int
		if err := pool.QueryRow(ctx, `WITH p AS (
				SELECT p.*, (SELECT z.zone_kind FROM zone z WHERE z.area_kind = 'nature_reserve' AND ST_CoveredBy(p.geom, z.geom) LIMIT 1) AS reserve_zone,
					EXISTS (SELECT 1 FROM zone z WHERE z.geom && p.geom AND ST_Intersects(z.geom, p.geom)) AS protected
				FROM parcel p WHERE p.valid_to IS NULL)
			SELECT
				count(*) FILTER (WHERE lin_zhong LIKE '25_' AND coalesce(xu_ji, 0) > 0),
				count(*) FILTER (WHERE (lin_zhong = '240') <> (you_shi_sz = '410000' AND qi_yuan = '13' AND sen_lin_lb IN ('021', '022'))
					OR (you_shi_sz IN ('751000', '755000') AND lin_zhong NOT LIKE '25_')),
				count(*) FILTER (WHERE sen_lin_lb IN ('021', '022') AND gjgyl_bhdj IS NOT NULL),
				count(*) FILTER (WHERE shi_quan_d = '1' AND reserve_zone IS NOT NULL AND gjgyl_bhdj IS DISTINCT FROM '1'),
				count(*) FILTER (WHERE shi_quan_d = '1' AND reserve_zone IS NOT NULL),
				count(*) FILTER (WHERE reserve_zone IN ('core', 'buffer', 'core_protection') AND bh_dj IS DISTINCT FROM '1'),
				count(*) FILTER (WHERE reserve_zone IN ('experimental', 'general_control') AND bh_dj IS DISTINCT FROM '2'),
				count(*) FILTER (WHERE shi_quan_d IN ('2', '3') AND NOT protected AND bh_dj IS DISTINCT FROM '3')
			FROM p`).Scan(&volume, &energy, &commercialGrade, &reserveGrade, &reserveNational, &coreBH, &restBH, &localBH); err != nil {
			t.Fatal(err)
		}
		if volume != 0 || energy != 0 || commercialGrade != 0 {
			t.Errorf("%d economic-forest parcels with a timber volume, %d parcels whose energy-forest code 240 does not match a coppiced-oak commercial stand or economic species not coded 25x, %d commercial parcels with a national grade",
				volume, energy, commercialGrade)
		}
		if reserveNational == 0 || reserveGrade != 0 {
			t.Errorf("%d of %d national public-welfare parcels inside the national reserve are not grade 1", reserveGrade, reserveNational)
		}
		if coreBH != 0 || restBH != 0 || localBH != 0 {
			t.Errorf("BH_DJ: %d reserve core/buffer parcels not Ⅰ, %d in its other zones not Ⅱ, %d provincial or local public-welfare parcels outside the protected areas not Ⅲ",
				coreBH, restBH, localBH)
		}
	})

	t.Run("protected areas", func(t *testing.T) {
		if inv.ReserveSites < 4 || inv.ReserveSites > 6 || inv.ReserveSitesIncomplete != 0 {
			t.Errorf("reserve: %d sites, %d incomplete", inv.ReserveSites, inv.ReserveSitesIncomplete)
		}
		if math.Abs(inv.ReserveHa/ReserveTargetHa-1) > 0.1 || math.Abs(inv.WetlandHa/WetlandTargetHa-1) > 0.1 {
			t.Errorf("reserve %.0f ha (want ≈12,993), wetland park %.1f ha (want ≈347)", inv.ReserveHa, inv.WetlandHa)
		}
		if inv.WetlandProtectedShare < 0.6 || inv.ZonesOutsideCounty != 0 || inv.InvalidZones != 0 || inv.ReserveOutsideBox != 0 {
			t.Errorf("zones: %+v", inv)
		}
		var notes, demoZones, zones, nested int
		if err := pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM protected_area WHERE demo AND note LIKE '%演示数据%'),
			(SELECT count(*) FROM zone WHERE demo), (SELECT count(*) FROM zone),
			(SELECT count(*) FROM zone a JOIN zone b ON a.area_id = b.area_id AND a.id < b.id AND ST_Relate(a.geom, b.geom, '2********'))`).
			Scan(&notes, &demoZones, &zones, &nested); err != nil {
			t.Fatal(err)
		}
		if notes != 2 || demoZones != zones || nested != 0 {
			t.Errorf("%d areas noted as demo data (want 2), %d of %d zones demo, %d overlapping zone pairs", notes, demoZones, zones, nested)
		}
		var established string
		if err := pool.QueryRow(ctx, `SELECT established::text FROM protected_area WHERE area_kind = 'nature_reserve'`).Scan(&established); err != nil {
			t.Fatal(err)
		}
		if established != "1993-01-01" {
			t.Errorf("reserve established %s, want 1993-01-01", established)
		}
	})

	t.Run("a dump shows no ID number, account or phone", func(t *testing.T) {
		p := demoPlaintexts(t, pool, kr)
		if len(p.idNumbers) != inv.Owners || len(p.accounts) < inv.Owners/2 || len(p.phones) < inv.Owners/2 {
			t.Fatalf("%d owners with %d ID numbers, %d accounts, %d phones: the demo should give most of them all three",
				inv.Owners, len(p.idNumbers), len(p.accounts), len(p.phones))
		}
		dump := pgDump(t, pool, dbURL)
		// The owners are in the dump (names are not encrypted), so a clean grep means something.
		if !strings.Contains(dump, "COPY public.owner ") || !strings.Contains(dump, p.names[len(p.names)-1]) {
			t.Fatal("the dump holds no owner rows")
		}
		if leaks := findPlaintext(dump, append(p.idNumbers, p.accounts...), p.phones); len(leaks) > 0 {
			t.Errorf("the dump shows %d of the owners' ID numbers, accounts or phones in clear, e.g. %s", len(leaks), leaks[0])
		}
	})

	before := checksum(t, pool, kr)
	towns := townshipGeoms(t, pool)

	t.Run("rerun reports already loaded", func(t *testing.T) {
		again := seed(t, pool, Options{Parcels: testParcels, Seed: 1})
		if !again.AlreadyLoaded || again.Parcels != testParcels {
			t.Errorf("rerun summary = %+v, want AlreadyLoaded with %d parcels", again, testParcels)
		}
		if after := checksum(t, pool, kr); after != before {
			t.Errorf("rerun changed the data: checksum %s → %s", before, after)
		}
		var batches int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM import_batch WHERE kind = 'seed' AND status = 'done' AND source = $1`, Options{Seed: 1, Parcels: testParcels}.Source()).Scan(&batches); err != nil {
			t.Fatal(err)
		}
		if batches != 1 {
			t.Errorf("%d done seed batches, want 1", batches)
		}
	})

	t.Run("other options need --replace", func(t *testing.T) {
		_, err := Seed(ctx, pool, Options{Parcels: 0, Seed: 1, PII: kr})
		if err == nil {
			t.Fatal("seeding other options over an existing county succeeded")
		}
		msg := err.Error()
		if !strings.Contains(msg, "--replace") || !strings.Contains(msg, "361130") || !strings.Contains(msg, Options{Seed: 1, Parcels: testParcels}.Source()) || strings.Contains(msg, "\n") {
			t.Errorf("error = %q, want one line naming the county, what it holds and --replace", msg)
		}
		if after := checksum(t, pool, kr); after != before {
			t.Error("the refused seed changed the data")
		}
	})

	t.Run("replace with no parcels keeps the townships", func(t *testing.T) {
		sum := seed(t, pool, Options{Parcels: 0, Seed: 1, Replace: true})
		if sum.Parcels != 0 || sum.Townships != 17 || sum.Zones == 0 || sum.Owners == 0 || sum.AlreadyLoaded {
			t.Errorf("summary = %+v, want townships, zones and owners but no parcels", sum)
		}
		got := townshipGeoms(t, pool)
		if len(got) != 17 {
			t.Fatalf("%d townships after replace", len(got))
		}
		for code, h := range towns {
			if got[code] != h {
				t.Errorf("township %s geometry changed between --parcels %d and --parcels 0", code, testParcels)
			}
		}
		if _, err := Verify(ctx, pool, kr); err != nil {
			t.Errorf("Verify after replace: %v", err)
		}
	})
	noParcels := checksum(t, pool, kr)

	t.Run("determinism", func(t *testing.T) {
		// Another key seals other ciphertexts around the same data: the checksum is of the data.
		otherKey := piitest.Keyring(t, piitest.OtherKey)
		other := pgtest.New(t)
		seed(t, other, Options{Parcels: testParcels, Seed: 1, PII: otherKey})
		if got := checksum(t, other, otherKey); got != before {
			t.Errorf("same seed and parcels (under another key) gave checksum %s, want %s", got, before)
		}
		if _, err := Checksum(ctx, other, kr); !errors.Is(err, pii.ErrUnknownKey) {
			t.Errorf("Checksum with the wrong key: %v; want an unknown-key error", err)
		}
		third := pgtest.New(t)
		seed(t, third, Options{Parcels: 0, Seed: 2})
		if got := checksum(t, third, kr); got == noParcels {
			t.Error("seed 2 gave the same data as seed 1")
		}
		if _, err := Verify(ctx, third, kr); err != nil {
			t.Errorf("Verify seed 2: %v", err)
		}
	})
}

func TestAllocate(t *testing.T) {
	vs := []*village{{Area: 1}, {Area: 10}, {Area: 100}, {Area: 0.5}}
	tests := []struct {
		name string
		n    int
		want int
	}{
		{"zero", 0, 0},
		{"fewer than villages", 2, 4},
		{"exact", 4, 4},
		{"many", 1001, 1001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := allocate(vs, tc.n)
			sum := 0
			for _, c := range got {
				sum += c
				if tc.n > 0 && c < 1 {
					t.Errorf("a village got %d parcels", c)
				}
			}
			if sum != tc.want {
				t.Errorf("allocate(%d) sums to %d, want %d", tc.n, sum, tc.want)
			}
		})
	}
}

func TestCheckCharacters(t *testing.T) {
	tests := []struct {
		name, body, want string
		f                func(string) string
	}{
		{"GB 11643 example", "11010519491231002", "X", idCheck},
		{"GB 11643 digit", "44052418800101001", "4", idCheck},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f(tc.body); got != tc.want {
				t.Errorf("check(%s) = %s, want %s", tc.body, got, tc.want)
			}
		})
	}
	ob := &ownerBook{r: stream(1, "test"), used: map[string]bool{}}
	for i := 0; i < 50; i++ {
		code := ob.uscc("91")
		s := 0
		ws := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
		for j := 0; j < 17; j++ {
			s += strings.IndexByte(usccChars, code[j]) * ws[j]
		}
		if len(code) != 18 || (s+strings.IndexByte(usccChars, code[17]))%31 != 0 {
			t.Errorf("USCC %s fails its check character", code)
		}
		card := ob.bank()
		luhn := 0
		for j := 0; j < len(card); j++ {
			d := int(card[len(card)-1-j] - '0')
			if j%2 == 1 {
				if d *= 2; d > 9 {
					d -= 9
				}
			}
			luhn += d
		}
		if len(card) != 19 || luhn%10 != 0 {
			t.Errorf("card %s fails the Luhn check", card)
		}
	}
}
