package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// GDAL runs on a short leash (ARCHITECTURE.md, principle 11). A surveyor's file is outside
// input: GDAL recognises a file by its content, and some drivers follow what a file says (an OGR
// VRT document opens other files or databases, a GeoJSON crs link is fetched over HTTP). So:
//
//   - every driver but the one the file's extension calls for (and PGDUMP, which writes the
//     COPY stream) is skipped (GDAL_SKIP; also -if where the installed GDAL has it, 3.7+);
//   - the file's content is checked against its extension before GDAL sees it (sniff.go);
//   - the child gets a minimal environment: no DATABASE_URL, no ECOCOMP_* tokens or keys, no
//     proxies; HOME and the temporary folder are the import's own folder;
//   - GDAL's own network access goes through a proxy address that refuses at once and PROJ
//     downloads nothing; /vsicurl/ may open no file name;
//   - layer names are never passed where GDAL could read them as options (stage.go).
//
// The database is never handed to GDAL: ogr2ogr writes PGDUMP COPY text to its standard output
// and the import streams it into PostgreSQL over its own connection, so no connection string
// or password is on GDAL's command line or in its environment.

// readDrivers is the one GDAL driver that reads each importable extension.
var readDrivers = map[string]string{
	".shp":     "ESRI Shapefile",
	".gpkg":    "GPKG",
	".geojson": "GeoJSON",
	".json":    "GeoJSON",
}

// writeDriver writes the staging stream; it cannot open files.
const writeDriver = "PGDUMP"

// noNetwork is a proxy address nothing listens on (the discard port of the loopback): curl
// inside GDAL sends every HTTP, HTTPS or FTP request there and fails at once.
const noNetwork = "127.0.0.1:9"

// gdalInfo is what the import needs to know of the installed GDAL, read once per process: its
// vector drivers (to skip all but one) and whether each tool takes -if.
type gdalInfo struct {
	vector  []string
	takesIf map[string]bool
}

var (
	gdalMu     sync.Mutex
	gdalCached *gdalInfo
)

var reFormat = regexp.MustCompile(`^\s+(.+?) -([a-z ,]+)- \(`)

// installedGDAL lists the vector drivers of the installed GDAL (`ogrinfo --formats`) and probes
// -if. It fails closed: without the list no import runs.
func installedGDAL(ctx context.Context, tmp string) (*gdalInfo, error) {
	gdalMu.Lock()
	defer gdalMu.Unlock()
	if gdalCached != nil {
		return gdalCached, nil
	}
	out, err := gdalCommand(ctx, tmp, "", "ogrinfo", "--formats").Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, errors.New("GDAL's ogrinfo is not installed: install Debian's gdal-bin")
		}
		return nil, fmt.Errorf("cannot list GDAL's drivers (ogrinfo --formats): %w", err)
	}
	info := &gdalInfo{takesIf: map[string]bool{}}
	for _, line := range strings.Split(string(out), "\n") {
		if m := reFormat.FindStringSubmatch(line); m != nil && strings.Contains(m[2], "vector") {
			info.vector = append(info.vector, m[1])
		}
	}
	have := map[string]bool{}
	for _, d := range info.vector {
		have[d] = true
	}
	for _, d := range append(sortedDrivers(), writeDriver) {
		if !have[d] {
			return nil, fmt.Errorf("the installed GDAL lacks its %s driver, which imports need", d)
		}
	}
	for _, tool := range []string{"ogrinfo", "ogr2ogr"} {
		// The usage text lists the options; an unknown option prints it too.
		var b bytes.Buffer
		cmd := gdalCommand(ctx, tmp, "", tool, "--help")
		cmd.Stdout, cmd.Stderr = &b, &b
		_ = cmd.Run()
		info.takesIf[tool] = strings.Contains(b.String(), "[-if ")
	}
	gdalCached = info
	return info, nil
}

func sortedDrivers() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range readDrivers {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// skipList is GDAL_SKIP for reading with driver: every other vector driver but PGDUMP.
func (g *gdalInfo) skipList(driver string) string {
	var skip []string
	for _, d := range g.vector {
		if d != driver && d != writeDriver {
			skip = append(skip, d)
		}
	}
	return strings.Join(skip, ",")
}

// ifArgs are the -if arguments of a tool for driver, when the installed GDAL takes them.
func (g *gdalInfo) ifArgs(tool, driver string) []string {
	if g == nil || !g.takesIf[tool] || driver == "" {
		return nil
	}
	return []string{"-if", driver}
}

// passedEnv are the variables of ecocomp's environment a GDAL child may see: where GDAL, PROJ
// and shared libraries find their data. Nothing else passes, secrets and proxies included.
var passedEnv = []string{"GDAL_DATA", "PROJ_DATA", "PROJ_LIB", "LD_LIBRARY_PATH"}

// gdalEnv is the whole environment of a GDAL child: tmp as its home and temporary folder, the
// driver allow-list (skip: GDAL_SKIP, "" for none) and the network switched off.
func gdalEnv(tmp, skip string) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=" + tmp,
		"TMPDIR=" + tmp,
		"CPL_TMPDIR=" + tmp,
		"LC_ALL=C",
		"GDAL_HTTP_PROXY=" + noNetwork,
		"GDAL_HTTPS_PROXY=" + noNetwork,
		"GDAL_HTTP_TIMEOUT=1",
		"GDAL_HTTP_CONNECTTIMEOUT=1",
		"GDAL_HTTP_MAX_RETRY=0",
		"CPL_VSIL_CURL_ALLOWED_EXTENSIONS=.ecocomp-no-network",
		"PROJ_NETWORK=OFF",
		"GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR",
		"OGR_SQLITE_ALLOW_EXTERNAL_ACCESS=NO",
		"ALLOW_OGR_SQL_FUNCTIONS_FROM_TRIGGER_AND_VIEW=NO",
		"ALLOW_VIRTUAL_OGR_FROM_TRIGGER_AND_VIEW=NO",
		"GDAL_VRT_ENABLE_PYTHON=NO",
	}
	if skip != "" {
		env = append(env, "GDAL_SKIP="+skip)
	}
	for _, k := range passedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// gdalCommand is a GDAL tool run in the minimal environment, in tmp.
func gdalCommand(ctx context.Context, tmp, skip, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = gdalEnv(tmp, skip)
	cmd.Dir = tmp
	return cmd
}
