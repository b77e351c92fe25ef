package harness

import (
	"os"
	"path/filepath"
	"testing"
)

// GoServer is a running third-party Go server that publishes expvar at VarsURL.
type GoServer struct {
	*Process
	Addr    string // 127.0.0.1:port of the endpoint that serves VarsURL
	VarsURL string // http://127.0.0.1:port/debug/vars
	opts    ProcessOpts
}

// Restart stops the server (if it still runs) and starts it again with the same
// arguments, on the same address and data, and waits until VarsURL answers.
func (s *GoServer) Restart(t testing.TB) {
	t.Helper()
	if err := s.Stop(); err != nil {
		t.Fatalf("harness: stop %s: %v", s.Name, err)
	}
	p := StartProcess(t, s.opts)
	if err := p.waitReady(ReadyTimeout, func() error { return expect200(s.VarsURL) }); err != nil {
		t.Fatalf("harness: restart %s: %v", s.Name, err)
	}
	s.Process = p
}

// EtcdBinary is the etcd executable (Debian package etcd-server).
func EtcdBinary(t testing.TB) string {
	t.Helper()
	return serverBinary(t, "GOPULSE_ETCD_BIN", "/usr/bin/etcd", "etcd-server")
}

// CaddyBinary is the caddy executable (Debian package caddy).
func CaddyBinary(t testing.TB) string {
	t.Helper()
	return serverBinary(t, "GOPULSE_CADDY_BIN", "/usr/bin/caddy", "caddy")
}

// StartEtcd starts a single-member etcd with its client URL (which serves /debug/vars)
// and its peer URL on free loopback ports and its data in a temporary directory, and
// waits for /debug/vars.
func StartEtcd(t testing.TB) *GoServer {
	t.Helper()
	bin := EtcdBinary(t)
	dir := t.TempDir()
	var opts ProcessOpts
	p, addr := startServer(t, func(addr string) ProcessOpts {
		client, peer := "http://"+addr, "http://"+FreeAddr(t)
		opts = ProcessOpts{Name: "etcd", Binary: bin, Dir: dir, Args: []string{
			"--name", "gopulse",
			"--data-dir", filepath.Join(dir, "data"),
			"--listen-client-urls", client, "--advertise-client-urls", client,
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--initial-cluster", "gopulse=" + peer,
			"--log-level", "warn",
		}}
		return opts
	}, ReadyTimeout, func(addr string) error {
		return expect200("http://" + addr + "/debug/vars")
	})
	return &GoServer{Process: p, Addr: addr, VarsURL: "http://" + addr + "/debug/vars", opts: opts}
}

// StartCaddy starts caddy with only its admin endpoint (which serves /debug/vars), on
// a free loopback port, its storage and home in a temporary directory, and waits for
// /debug/vars.
func StartCaddy(t testing.TB) *GoServer {
	t.Helper()
	bin := CaddyBinary(t)
	dir := t.TempDir()
	var opts ProcessOpts
	p, addr := startServer(t, func(addr string) ProcessOpts {
		cfg := filepath.Join(dir, "caddy.json")
		doc := `{"admin": {"listen": "` + addr + `"}, "storage": {"module": "file_system", "root": "` + filepath.Join(dir, "storage") + `"}}`
		if err := os.WriteFile(cfg, []byte(doc), 0o644); err != nil {
			t.Fatalf("harness: %v", err)
		}
		opts = ProcessOpts{Name: "caddy", Binary: bin, Dir: dir, Args: []string{"run", "--config", cfg},
			Env: []string{"HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir}}
		return opts
	}, ReadyTimeout, func(addr string) error {
		return expect200("http://" + addr + "/debug/vars")
	})
	return &GoServer{Process: p, Addr: addr, VarsURL: "http://" + addr + "/debug/vars", opts: opts}
}
