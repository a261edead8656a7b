package cli_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/cli"
)

// TestServeCheck: `ecocomp serve --check` (what make demo runs first) fails at once when another
// server has the address, before anything touches a database, and passes when it is free.
func TestServeCheck(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	busy := ln.Addr().String()
	var out, errb bytes.Buffer
	if code := cli.Main(context.Background(), []string{"serve", "--check", "--addr", busy}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "cannot listen on "+busy) || !strings.Contains(errb.String(), "make demo") {
		t.Errorf("serve --check on a busy address: exit %d, %q; want 1 and why", code, errb.String())
	}
	ln.Close()
	errb.Reset()
	if code := cli.Main(context.Background(), []string{"serve", "--check", "--addr", busy}, &out, &errb); code != 0 {
		t.Errorf("serve --check on a free address: exit %d, %q; want 0", code, errb.String())
	}
}
