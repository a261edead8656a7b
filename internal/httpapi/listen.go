package httpapi

import (
	"fmt"
	"net"
)

// CheckListen reports whether the server could listen on addr now, without serving: a second
// `make demo` learns that the first still serves before it recomputes anything.
func CheckListen(addr string) error {
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	return ln.Close()
}

func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s (%v): another server (a running `make demo`?) has it; stop that one or set ECOCOMP_ADDR to a free host:port", addr, err)
	}
	return ln, nil
}
