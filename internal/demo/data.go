package demo

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/seeds"
)

// townshipSeed is one row of seeds/demo/townships.csv.
type townshipSeed struct {
	Code     string
	Name     string
	Lon, Lat float64
	AreaKm2  float64
}

// reserveSiteSeed is one row of seeds/demo/reserve_sites.csv.
type reserveSiteSeed struct {
	Site     string
	Lon, Lat float64
	Weight   float64
}

// weighted is a word with a relative weight (names.txt).
type weighted struct {
	Word   string
	Weight float64
}

// seedData is everything the generator reads from seeds/demo.
type seedData struct {
	Townships     []townshipSeed
	ReserveSites  []reserveSiteSeed
	River         [][2]float64 // lon, lat, upstream first
	Stock         map[string][5]float64
	Surnames      []weighted
	Given         []string
	VillageFirst  []string
	VillageSecond []string
	Enterprises   []string
	StateFarm     string
}

func loadSeedData() (*seedData, error) {
	d := &seedData{Stock: map[string][5]float64{}}
	rows, err := readCSV("demo/townships.csv")
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		f, err := floats(r[2:5])
		if err != nil {
			return nil, fmt.Errorf("seeds/demo/townships.csv: %v", err)
		}
		d.Townships = append(d.Townships, townshipSeed{Code: r[0], Name: r[1], Lon: f[0], Lat: f[1], AreaKm2: f[2]})
	}
	if rows, err = readCSV("demo/reserve_sites.csv"); err != nil {
		return nil, err
	}
	for _, r := range rows {
		f, err := floats(r[1:4])
		if err != nil {
			return nil, fmt.Errorf("seeds/demo/reserve_sites.csv: %v", err)
		}
		d.ReserveSites = append(d.ReserveSites, reserveSiteSeed{Site: r[0], Lon: f[0], Lat: f[1], Weight: f[2]})
	}
	if rows, err = readCSV("demo/xingjiang.csv"); err != nil {
		return nil, err
	}
	for _, r := range rows {
		f, err := floats(r[0:2])
		if err != nil {
			return nil, fmt.Errorf("seeds/demo/xingjiang.csv: %v", err)
		}
		d.River = append(d.River, [2]float64{f[0], f[1]})
	}
	if rows, err = readCSV("demo/stock.csv"); err != nil {
		return nil, err
	}
	for _, r := range rows {
		f, err := floats(r[1:6])
		if err != nil {
			return nil, fmt.Errorf("seeds/demo/stock.csv: %v", err)
		}
		d.Stock[r[0]] = [5]float64{f[0], f[1], f[2], f[3], f[4]}
	}
	sections, err := readSections("demo/names.txt")
	if err != nil {
		return nil, err
	}
	for _, l := range sections["surnames"] {
		fs := strings.Fields(l)
		if len(fs) != 2 {
			return nil, fmt.Errorf("seeds/demo/names.txt: surname line %q needs a name and a weight", l)
		}
		w, err := strconv.ParseFloat(fs[1], 64)
		if err != nil {
			return nil, fmt.Errorf("seeds/demo/names.txt: surname line %q: %v", l, err)
		}
		d.Surnames = append(d.Surnames, weighted{fs[0], w})
	}
	d.Given = words(sections["given"])
	d.VillageFirst = words(sections["village_first"])
	d.VillageSecond = words(sections["village_second"])
	d.Enterprises = sections["enterprises"]
	if sf := sections["state_farm"]; len(sf) > 0 {
		d.StateFarm = sf[0]
	}
	switch {
	case len(d.Townships) != 17:
		return nil, fmt.Errorf("seeds/demo/townships.csv lists %d townships, want 17", len(d.Townships))
	case len(d.ReserveSites) < 4:
		return nil, fmt.Errorf("seeds/demo/reserve_sites.csv lists %d sites, want at least 4", len(d.ReserveSites))
	case len(d.River) < 2:
		return nil, fmt.Errorf("seeds/demo/xingjiang.csv needs at least 2 points")
	case len(d.Surnames) == 0 || len(d.Given) == 0 || len(d.VillageFirst) == 0 || len(d.VillageSecond) == 0 ||
		len(d.Enterprises) == 0 || d.StateFarm == "":
		return nil, fmt.Errorf("seeds/demo/names.txt lacks a section (surnames, given, village_first, village_second, enterprises, state_farm)")
	}
	for _, g := range []string{"fir", "pine", "broadleaf", "mixed", "economic"} {
		if _, ok := d.Stock[g]; !ok {
			return nil, fmt.Errorf("seeds/demo/stock.csv lacks the species group %q", g)
		}
	}
	return d, nil
}

// readCSV returns the data rows of an embedded CSV file: lines starting with # and the header are skipped.
func readCSV(name string) ([][]string, error) {
	b, err := fs.ReadFile(seeds.Demo, name)
	if err != nil {
		return nil, fmt.Errorf("seeds/%s: %v", name, err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			lines = append(lines, t)
		}
	}
	r := csv.NewReader(strings.NewReader(strings.Join(lines, "\n")))
	all, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("seeds/%s: %v", name, err)
	}
	if len(all) < 2 {
		return nil, fmt.Errorf("seeds/%s has no data rows", name)
	}
	return all[1:], nil
}

func readSections(name string) (map[string][]string, error) {
	b, err := fs.ReadFile(seeds.Demo, name)
	if err != nil {
		return nil, fmt.Errorf("seeds/%s: %v", name, err)
	}
	out := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			cur = l[1 : len(l)-1]
		case cur != "":
			out[cur] = append(out[cur], l)
		}
	}
	return out, sc.Err()
}

func words(lines []string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, strings.Fields(l)...)
	}
	return out
}

func floats(ss []string) ([]float64, error) {
	out := make([]float64, len(ss))
	for i, s := range ss {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}
