package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The web map's browser tests: Node's playwright-core drives Debian's chromium through a script
// in web/test, against a server the Go test started and seeded; what the browser cannot know is
// passed in the environment. Screenshots go to web/test/artifacts/ (git-ignored).

// browserTools finds what the browser tests need, failing with how to get what is missing.
func browserTools(t *testing.T) (chromium string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the web map's browser tests need Node.js (apt-get install nodejs npm)")
	}
	version, err := exec.Command(node, "-p", "process.versions.node").Output()
	if err != nil {
		t.Fatalf("node -p process.versions.node: %v", err)
	}
	major, _, _ := strings.Cut(strings.TrimSpace(string(version)), ".")
	// web/package.json pins playwright-core 1.61.1, the last release that supports Node.js 18,
	// Debian 12's nodejs; later releases need 20.
	if n, err := strconv.Atoi(major); err != nil || n < 18 {
		t.Fatalf("node %s is too old: the browser tests need Node.js 18 or later (Debian 12's nodejs)", strings.TrimSpace(string(version)))
	}
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: install Debian's chromium (apt-get install chromium; .ci/run does)", chromium)
	}
	if _, err := os.Stat(filepath.Join(webDirOf(t), "node_modules", "playwright-core")); err != nil {
		t.Fatal("web/node_modules/playwright-core is missing: run `cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci` (make web or .ci/run do it)")
	}
	return chromium
}

func webDirOf(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "web"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// runBrowserTest runs node on web/test/<script> with env added to this process's environment
// and fails the test with the script's output when it fails. redact, when given, rewrites the
// output before it is logged.
func runBrowserTest(t *testing.T, ctx context.Context, script, chromium string, env map[string]string, redact func([]byte) []byte) {
	t.Helper()
	webDir := webDirOf(t)
	artifacts := filepath.Join(webDir, "test", "artifacts")
	env["ECOCOMP_ARTIFACTS"] = artifacts
	env["CHROMIUM"] = chromium
	shown, _ := json.Marshal(env)
	if redact != nil {
		shown = redact(shown)
	}
	t.Logf("browser test environment: %s", shown)

	runCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, "node", filepath.Join(webDir, "test", script))
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.WaitDelay = 10 * time.Second // chromium children must not keep the pipes open forever
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if redact != nil {
		out = redact(out)
	}
	t.Logf("node web/test/%s (%s):\n%s", script, time.Since(start).Round(time.Second), out)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		t.Fatalf("browser tests failed (exit status %d); output above; screenshots in %s", exit.ExitCode(), artifacts)
	case err != nil:
		t.Fatalf("run the browser tests: %v", err)
	}
	t.Logf("screenshots: %s", artifacts)
}
