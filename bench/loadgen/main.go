// Command loadgen is the mixed load of bench/load.sh: many clients at once on loopback, each
// request a point lookup, a parcel tile at zoom 8–11 or a county-wide export, by weight. It
// reports, per kind, the statuses, the latency percentiles and the longest wait; per second, the
// errors; and the server's peak resident memory, read from /proc.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

type result struct {
	kind   string
	status int // 0: the request failed (connection refused, timeout); shedStatus: turned away by a limit
	took   time.Duration
	at     time.Duration // since the start
}

// shedStatus marks a 503 whose problem says the server is busy: a limit at work, not a failure.
const shedStatus = 1503

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server")
	clients := flag.Int("c", 64, "clients at once")
	dur := flag.Duration("d", 60*time.Second, "how long")
	bbox := flag.String("bbox", "", "minlon,minlat,maxlon,maxlat of the county")
	mix := flag.String("mix", "lookup=70,tile=25,export=5", "weights of the request kinds")
	pid := flag.Int("pid", 0, "server process whose peak RSS to report")
	flag.Parse()
	var b [4]float64
	for i, s := range strings.Split(*bbox, ",") {
		if i < 4 {
			b[i], _ = strconv.ParseFloat(s, 64)
		}
	}
	type weighted struct {
		kind string
		w    int
	}
	var kinds []weighted
	total := 0
	for _, kv := range strings.Split(*mix, ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, _ := strconv.Atoi(v)
		kinds = append(kinds, weighted{k, n})
		total += n
	}
	pick := func(r *rand.Rand) string {
		n := r.IntN(total)
		for _, k := range kinds {
			if n < k.w {
				return k.kind
			}
			n -= k.w
		}
		return kinds[0].kind
	}
	path := func(r *rand.Rand, kind string) string {
		lon := b[0] + r.Float64()*(b[2]-b[0])
		lat := b[1] + r.Float64()*(b[3]-b[1])
		switch kind {
		case "tile":
			z := 8 + r.IntN(4)
			n := float64(int(1) << z)
			x := int((lon + 180) / 360 * n)
			rad := lat * math.Pi / 180
			y := int((1 - math.Log(math.Tan(rad)+1/math.Cos(rad))/math.Pi) / 2 * n)
			return fmt.Sprintf("/tiles/parcels/%d/%d/%d.mvt", z, x, y)
		case "export":
			return "/api/v1/export/parcels.geojson"
		}
		return fmt.Sprintf("/api/v1/parcels?lon=%.6f&lat=%.6f", lon, lat)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	client := &http.Client{Timeout: 15 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: *clients}}
	start := time.Now()
	results := make(chan result, 4096)
	var wg sync.WaitGroup
	for i := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			for ctx.Err() == nil {
				kind := pick(r)
				t0 := time.Now()
				status := 0
				resp, err := client.Get(*base + path(r, kind))
				if err == nil {
					status = resp.StatusCode
					if status == http.StatusServiceUnavailable {
						// A limit sheds with "busy" in the problem; anything else is an outage.
						b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
						if strings.Contains(string(b), "busy") {
							status = shedStatus
						}
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				results <- result{kind, status, time.Since(t0), t0.Sub(start)}
				if status == 0 || status == 503 || status == shedStatus {
					time.Sleep(100 * time.Millisecond) // a client backs off a little, as browsers do
				}
			}
		}()
	}
	var peak int64
	stop := make(chan struct{})
	if *pid > 0 {
		go func() {
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					peak = max(peak, rss(*pid))
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	byKind := map[string][]result{}
	for res := range results {
		byKind[res.kind] = append(byKind[res.kind], res)
	}
	close(stop)

	fmt.Printf("%d clients for %s against %s\n", *clients, *dur, *base)
	errSeconds := map[int]int{}
	for _, k := range kinds {
		rs := byKind[k.kind]
		if len(rs) == 0 {
			continue
		}
		statuses := map[int]int{}
		var lat []time.Duration
		for _, r := range rs {
			statuses[r.status]++
			if r.status == 200 || r.status == 304 {
				lat = append(lat, r.took)
			}
			if r.status == 0 || (r.status >= 500 && r.status != shedStatus) {
				errSeconds[int(r.at.Seconds())]++
			}
		}
		slices.Sort(lat)
		longest := slices.MaxFunc(rs, func(a, b result) int { return int(a.took - b.took) }).took
		var parts []string
		for _, s := range sortedKeys(statuses) {
			name := strconv.Itoa(s)
			switch s {
			case 0:
				name = "no answer"
			case shedStatus:
				name = "503 shed"
			}
			parts = append(parts, fmt.Sprintf("%d×%s", statuses[s], name))
		}
		fmt.Printf("%-7s %6d requests (%s); ok: p50 %s p99 %s; longest of any %s\n", k.kind, len(rs), strings.Join(parts, " "),
			pct(lat, 0.50), pct(lat, 0.99), longest.Round(time.Millisecond))
	}
	if len(errSeconds) > 0 {
		secs := sortedKeys(errSeconds)
		var parts []string
		for _, s := range secs {
			parts = append(parts, fmt.Sprintf("%ds:%d", s, errSeconds[s]))
		}
		fmt.Printf("errors (5xx but shed, or no answer) by second: %s\n", strings.Join(parts, " "))
		fmt.Printf("last error at %ds\n", secs[len(secs)-1])
	} else {
		fmt.Println("errors (5xx but shed, or no answer): none")
	}
	if *pid > 0 {
		fmt.Printf("server peak RSS: %d MB\n", peak>>20)
	}
}

func sortedKeys[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))].Round(100 * time.Microsecond)
}

// rss is the resident memory of process pid in bytes (0 when it cannot be read).
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
