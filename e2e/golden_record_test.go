package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/internal/golden"
)

// TestRecordGoldenUpstream records, only with -record, what Prometheus, the Alertmanager
// and the demo's /debug/vars answer to the requests of pkg/plugin's golden cases: the
// demo stack runs with load in failing mode until an alert fires and reaches the
// Alertmanager, then each case runs through the plugin against a recording proxy and
// every distinct request's first answer is written, with the cases' time range and
// the first ExpvarPolls expvar documents. The previous recording is replaced.
//
//	go test ./e2e -run TestRecordGoldenUpstream -record
func TestRecordGoldenUpstream(t *testing.T) {
	if !*record {
		t.Skip("records only with -record")
	}
	cases, err := golden.LoadCases(harness.RepoPath(t, "pkg", "plugin", "testdata", "golden-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	s := harness.StartStackWith(t, harness.StackOptions{Loadgen: true, Prometheus: harness.PrometheusOptions{
		ExtraRuleFiles: []string{harness.RepoPath(t, "e2e", "testdata", "e2e-demo-alerts.yml")},
	}})
	s.Loadgen.SetMode(t, harness.ModeFailing)
	harness.WaitForQuery(t, s.Prometheus.URL, `ALERTS{alertstate="firing"}`, time.Minute)
	harness.Eventually(t, time.Minute, 250*time.Millisecond, "the Alertmanager holds an alert", func() error {
		_, body, err := harness.HTTPGet(context.Background(), s.Alertmanager.URL+"/api/v2/alerts")
		if err != nil || !strings.Contains(string(body), `"alertname"`) {
			return fmt.Errorf("alerts %.200s, %v", body, err)
		}
		return nil
	})
	// A minute of data in the range.
	time.Sleep(time.Until(started.Add(70 * time.Second)))
	to := time.Now().UTC().Truncate(time.Second)
	rec := &golden.Recording{From: to.Add(-time.Minute), To: to}

	p := newUpstreamRecorder(t, s)
	for _, name := range []string{golden.DataSourcePrometheus, golden.DataSourceExpvar} {
		ds, err := cases.Datasource(name, p.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		tr := backend.TimeRange{From: rec.From, To: rec.To}
		for i, k := range cases.Cases {
			if k.DataSource != name {
				continue
			}
			r, err := ds.Run(k, tr)
			if err != nil {
				t.Fatal(err)
			}
			if r.Error != nil {
				t.Errorf("%s: %v", k.Name, r.Error)
			}
			if name == golden.DataSourceExpvar && i == firstOf(cases, name) {
				// The first query started the poller: the expvar documents to record.
				harness.Eventually(t, 30*time.Second, 50*time.Millisecond, "the expvar target is polled", func() error {
					if n := p.expvarPolls(); n < golden.ExpvarPolls {
						return fmt.Errorf("%d polls", n)
					}
					return nil
				})
			}
		}
		ds.Dispose()
	}
	p.write(t, rec, harness.RepoPath(t, "pkg", "plugin", "testdata", "upstream"))
}

func firstOf(c *golden.Cases, dataSource string) int {
	for i, k := range c.Cases {
		if k.DataSource == dataSource {
			return i
		}
	}
	return -1
}

// upstreamRecorder is a proxy in front of the stack: the Alertmanager's API under /api/v2, the
// demo's expvar document at ExpvarPath, Prometheus for everything else. It keeps the
// first answer to every distinct request and the first ExpvarPolls expvar documents.
type upstreamRecorder struct {
	srv   *httptest.Server
	mu    sync.Mutex
	seen  map[string]bool
	exch  []recorded
	polls [][]byte
}

type recorded struct {
	key    string
	status int
	body   []byte
}

func newUpstreamRecorder(t *testing.T, s *harness.Stack) *upstreamRecorder {
	p := &upstreamRecorder{seen: map[string]bool{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := golden.RequestKey(r)
		if err != nil {
			t.Error(err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		base := s.Prometheus.URL
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/v2/"):
			base = s.Alertmanager.URL
		case r.URL.Path == golden.ExpvarPath:
			base = s.Demo.URL
		}
		// The parameters go as a query string, whatever the method: Prometheus and the
		// Alertmanager answer GET requests the same.
		u := base + r.URL.Path
		if len(r.Form) > 0 {
			u += "?" + r.Form.Encode()
		}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u, nil)
		if err != nil {
			t.Error(err)
			return
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		p.mu.Lock()
		switch {
		case r.URL.Path == golden.ExpvarPath:
			if len(p.polls) < golden.ExpvarPolls {
				p.polls = append(p.polls, body)
			}
		case !p.seen[key]:
			p.seen[key] = true
			p.exch = append(p.exch, recorded{key, res.StatusCode, body})
		}
		p.mu.Unlock()
		w.Header().Set("Content-Type", res.Header.Get("Content-Type"))
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(body)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *upstreamRecorder) expvarPolls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.polls)
}

// write replaces dir's recording: recording.json and one indented body file per answer,
// named after the request's path and its position.
func (p *upstreamRecorder) write(t *testing.T, rec *golden.Recording, dir string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.polls) < golden.ExpvarPolls {
		t.Fatalf("%d expvar documents recorded, want %d", len(p.polls), golden.ExpvarPolls)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Paths of the machine the stack ran on (rule files in the checkout, the demo's
	// binary in a temporary directory) are cut to what names them in the repository.
	local := regexp.MustCompile(regexp.QuoteMeta(harness.RepoPath(t)+"/") + "|" + regexp.QuoteMeta(os.TempDir()) + `/[^/"]+/`)
	put := func(name string, body []byte) {
		var b bytes.Buffer
		if err := json.Indent(&b, local.ReplaceAll(body, nil), "", "  "); err != nil {
			t.Fatalf("%s: not JSON: %v", name, err)
		}
		b.WriteByte('\n')
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range p.exch {
		name := fmt.Sprintf("%03d-%s.json", i+1, strings.TrimPrefix(strings.ReplaceAll(strings.SplitN(e.key, "?", 2)[0], "/", "_"), "_"))
		put(name, e.body)
		rec.Exchanges = append(rec.Exchanges, golden.Exchange{Request: e.key, Status: e.status, Body: name})
	}
	for i, body := range p.polls {
		name := fmt.Sprintf("expvar-%d.json", i+1)
		put(name, body)
		rec.Expvar = append(rec.Expvar, name)
	}
	var index bytes.Buffer
	enc := json.NewEncoder(&index)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		t.Fatal(err)
	}
	put("recording.json", index.Bytes())
	t.Logf("recorded %d answers and %d expvar documents into %s", len(p.exch), len(p.polls), path.Clean(dir))
}
