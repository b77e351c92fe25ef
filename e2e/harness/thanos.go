package harness

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// ThanosVersion is the Thanos release the tests run.
const ThanosVersion = "0.42.5"

// thanosSetup is how a missing or unfit Thanos is built: Thanos has no Debian package,
// and `mage setup` builds the release from its module's source (Magefile.go,
// sourceServers: its go.mod has replace directives that `go install` refuses, it asks for
// a newer Go than Debian's, and it needs the release's tags netgo and slicelabels).
const thanosSetup = "go tool mage -v setup"

// ThanosBinary is the thanos executable: $GOPULSE_THANOS_BIN, else
// $GOPULSE_CACHE (default <user cache dir>/gopulse)/servers/thanos-<ThanosVersion>/thanos,
// where `mage setup` builds it (thanosSetup). A missing binary fails
// the test in CI and skips it elsewhere, saying how to build it; a binary built without
// the slicelabels tag fails it.
func ThanosBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("GOPULSE_THANOS_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("harness: GOPULSE_THANOS_BIN=%s: %v", p, err)
		}
		checkThanosTags(t, p)
		return p
	}
	cache := os.Getenv("GOPULSE_CACHE")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("harness: thanos: %v", err)
		}
		cache = filepath.Join(dir, "gopulse")
	}
	p := filepath.Join(cache, "servers", "thanos-"+ThanosVersion, "thanos")
	if _, err := os.Stat(p); err != nil {
		msg := fmt.Sprintf("harness: thanos %s not found at %s: build it with %s, or set GOPULSE_THANOS_BIN", ThanosVersion, p, thanosSetup)
		if InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	checkThanosTags(t, p)
	return p
}

// checkThanosTags fails the test when the binary was built without the slicelabels tag
// (missingSliceLabels).
func checkThanosTags(t testing.TB, path string) {
	t.Helper()
	if missingSliceLabels(path) {
		t.Fatalf("harness: thanos at %s was built without -tags slicelabels (its sidecar panics on its first answer); build it as Thanos's release does, with %s", path, thanosSetup)
	}
}

// missingSliceLabels tells whether the binary's build information shows a build without
// the slicelabels tag: its sidecar then panics on its first gRPC answer (Thanos
// reinterprets Prometheus's labels as its own protobuf type, which holds only for the
// slice layout). A binary without build information is not judged.
func missingSliceLabels(path string) bool {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-tags" && slices.Contains(strings.Split(s.Value, ","), "slicelabels") {
			return false
		}
	}
	return true
}

// ThanosSidecar is a running Thanos sidecar: the Store API (gRPC) over one Prometheus.
type ThanosSidecar struct {
	*Process
	GRPCAddr string // 127.0.0.1:port, the Store, Rules and Metadata APIs
	HTTPURL  string // http://127.0.0.1:port (/-/ready, /metrics)
}

// StartThanosSidecar starts a sidecar for prom (its API and TSDB directory) on free
// loopback ports and waits for /-/ready, which the sidecar answers once it has read
// Prometheus's external labels. No object storage is configured: the sidecar only
// serves Prometheus's data to the querier, nothing is uploaded.
func StartThanosSidecar(t testing.TB, prom *Prometheus) *ThanosSidecar {
	t.Helper()
	bin := ThanosBinary(t)
	var grpcAddr string
	p, addr := startServer(t, func(addr string) ProcessOpts {
		grpcAddr = FreeAddr(t)
		return ProcessOpts{Name: "thanos-sidecar", Binary: bin, Args: []string{
			"sidecar",
			"--http-address=" + addr,
			"--grpc-address=" + grpcAddr,
			"--prometheus.url=" + prom.URL,
			"--tsdb.path=" + prom.DataDir,
			"--log.level=info",
		}}
	}, ReadyTimeout, func(addr string) error {
		return expect200("http://" + addr + "/-/ready")
	})
	return &ThanosSidecar{Process: p, GRPCAddr: grpcAddr, HTTPURL: "http://" + addr}
}

// ThanosQueryOptions configures StartThanosQuery.
type ThanosQueryOptions struct {
	// Endpoints are the gRPC addresses of the Store/Rules/Metadata APIs (sidecars).
	Endpoints []string
	// ReplicaLabels are deduplicated over (--query.replica-label).
	ReplicaLabels []string
}

// ThanosQuery is a running Thanos Query: the Prometheus HTTP API over its endpoints.
type ThanosQuery struct {
	*Process
	Addr string // 127.0.0.1:port
	URL  string // http://127.0.0.1:port (Prometheus API at /api/v1/...)
}

// StartThanosQuery starts thanos query on free loopback ports and waits until it is
// ready and has connected to every endpoint (/api/v1/stores lists them all).
func StartThanosQuery(t testing.TB, opts ThanosQueryOptions) *ThanosQuery {
	t.Helper()
	bin := ThanosBinary(t)
	p, addr := startServer(t, func(addr string) ProcessOpts {
		args := []string{
			"query",
			"--http-address=" + addr,
			"--grpc-address=" + FreeAddr(t),
			"--log.level=info",
		}
		for _, e := range opts.Endpoints {
			args = append(args, "--endpoint="+e)
		}
		for _, l := range opts.ReplicaLabels {
			args = append(args, "--query.replica-label="+l)
		}
		return ProcessOpts{Name: "thanos-query", Binary: bin, Args: args}
	}, ReadyTimeout, func(addr string) error {
		return expect200("http://" + addr + "/-/ready")
	})
	q := &ThanosQuery{Process: p, Addr: addr, URL: "http://" + addr}
	Eventually(t, ReadyTimeout, 250*time.Millisecond, "thanos query connects to its endpoints", func() error {
		got, err := q.Endpoints()
		if err != nil {
			return err
		}
		for _, e := range opts.Endpoints {
			if !got[e] {
				return fmt.Errorf("endpoint %s not connected (connected: %v)", e, got)
			}
		}
		return nil
	})
	return q
}

// Endpoints returns the endpoints Thanos Query is connected to (/api/v1/stores), by
// address, and whether each is healthy (no last error).
func (q *ThanosQuery) Endpoints() (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	code, body, err := HTTPGet(ctx, q.URL+"/api/v1/stores")
	if err != nil {
		return nil, err
	}
	var r struct {
		Data map[string][]struct {
			Name      string  `json:"name"`
			LastError *string `json:"lastError"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("stores: HTTP %d: %.200s", code, body)
	}
	out := map[string]bool{}
	for _, list := range r.Data {
		for _, s := range list {
			out[s.Name] = s.LastError == nil || *s.LastError == ""
		}
	}
	return out, nil
}

// ReplicaLabel is the external label that tells the two Prometheus of an HA pair apart.
const ReplicaLabel = "replica"

// HAOptions configures StartHAStack.
type HAOptions struct {
	// LoadgenRPS is the load generator's rate (default 20).
	LoadgenRPS float64
	// Prometheus is passed to StartPrometheus for each replica; the stack sets its
	// demo and Alertmanager targets, external labels and block durations.
	Prometheus PrometheusOptions
}

// HAStack is the demo scraped by an HA pair behind Thanos: the demo and its load
// generator, one Alertmanager, two Prometheus replicas with the same configuration
// except for their external label replica="a" / "b" (dropped from the alerts they send,
// so the Alertmanager deduplicates them), a sidecar for each, and Thanos Query over both
// sidecars, deduplicating over replica.
type HAStack struct {
	Demo         *Demo
	Loadgen      *Loadgen
	Alertmanager *Alertmanager
	Replicas     [2]*Prometheus
	Sidecars     [2]*ThanosSidecar
	Query        *ThanosQuery
}

// StartHAStack starts the HA stack and waits until the demo is up through Thanos Query,
// as seen by both replicas.
func StartHAStack(t testing.TB, opts HAOptions) *HAStack {
	t.Helper()
	start := time.Now()
	ThanosBinary(t) // fail or skip before starting anything
	rps := opts.LoadgenRPS
	if rps <= 0 {
		rps = 20
	}
	s := &HAStack{Demo: StartDemo(t)}
	s.Loadgen = StartLoadgen(t, s.Demo.URL, rps)
	s.Alertmanager = StartAlertmanager(t)
	var endpoints []string
	for i, name := range []string{"a", "b"} {
		po := opts.Prometheus
		po.DemoTargets = []string{s.Demo.Addr}
		po.AlertmanagerAddr = s.Alertmanager.Addr
		po.ExternalLabels = map[string]string{ReplicaLabel: name}
		po.AlertLabelDrop = []string{ReplicaLabel}
		// Both replicas scrape the same targets, and not themselves: their data differs
		// only by when each scraped.
		po.Targets = maps.Clone(po.Targets)
		if po.Targets == nil {
			po.Targets = map[string][]string{}
		}
		po.Targets["prometheus"] = nil
		// Equal block durations turn off Prometheus's local compaction, which the sidecar
		// requires of the TSDB it reads (Thanos's documented set-up, 2h).
		po.ExtraArgs = append(append([]string(nil), po.ExtraArgs...),
			"--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=2h")
		s.Replicas[i] = StartPrometheus(t, po)
		s.Sidecars[i] = StartThanosSidecar(t, s.Replicas[i])
		endpoints = append(endpoints, s.Sidecars[i].GRPCAddr)
	}
	s.Query = StartThanosQuery(t, ThanosQueryOptions{Endpoints: endpoints, ReplicaLabels: []string{ReplicaLabel}})
	for _, r := range s.Replicas {
		WaitForTargetUp(t, r.URL, "demo", ScrapeTimeout)
	}
	WaitForTargetUp(t, s.Query.URL, "demo", ScrapeTimeout)
	t.Logf("harness: HA stack ready in %v (thanos query %s over prometheus %s and %s)",
		time.Since(start).Round(time.Millisecond), s.Query.URL, s.Replicas[0].URL, s.Replicas[1].URL)
	return s
}
