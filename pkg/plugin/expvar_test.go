package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/gopulse/health/pkg/goexpvar"
)

const smallDoc = `{"goroutines": 12, "memstats": {"HeapAlloc": 1048576, "NumGC": 3}}`

// Targets that misbehave each get their own clear status; the good one is unaffected and
// nothing grows beyond the limits.
func TestExpvarTargetFaults(t *testing.T) {
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(smallDoc)) }))
	defer good.Close()
	release := make(chan struct{})
	faults := map[string]http.HandlerFunc{
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, good.URL+"/debug/vars", http.StatusFound)
		},
		"hang": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		},
		"html": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>login</html>")) },
		"huge": func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"x":"` + strings.Repeat("a", 2<<20) + `"}`))
		},
		"array": func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"a":[` + strings.Repeat("1,", 20000) + `1]}`))
		},
		"deep": func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"a":` + strings.Repeat(`{"b":`, 100) + "1" + strings.Repeat("}", 101)))
		},
		"broken": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"goroutines": 1, "mem`)) },
		"500":    func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) },
	}
	want := map[string]string{
		"redirect": "redirect to another host",
		"hang":     "timed out",
		"html":     "not JSON",
		"huge":     "size limit 1048576 bytes exceeded",
		"array":    "element limit",
		"deep":     "depth limit",
		"broken":   "truncated",
		"500":      "server error 500",
	}
	targets := []goexpvar.Target{{Name: "good", URL: good.URL + "/debug/vars"}}
	for name, h := range faults {
		srv := httptest.NewServer(h)
		defer srv.Close()
		defer srv.CloseClientConnections()
		targets = append(targets, goexpvar.Target{Name: name, URL: srv.URL + "/debug/vars"})
	}
	defer close(release)
	p, transport, err := newExpvarPoller(ExpvarSettings{Targets: targets, Poller: goexpvar.PollerOptions{
		Timeout: 300 * time.Millisecond, Interval: time.Hour, Limits: goexpvar.Limits{MaxBytes: 1 << 20},
	}}, nil, nil, log.NewNullLogger(), goexpvar.Metrics{})
	if err != nil {
		t.Fatal(err)
	}
	defer transport.CloseIdleConnections()
	defer p.Stop()
	p.Start(context.Background())
	p.WaitFirstPoll(context.Background())
	for _, st := range p.Statuses() {
		if st.Target == "good" {
			if !st.Up || st.Vars != 3 {
				t.Errorf("good target %+v", st)
			}
			continue
		}
		if st.Up || !strings.Contains(st.LastError, want[st.Target]) {
			t.Errorf("%s: up=%v %q, want down with %q", st.Target, st.Up, st.LastError, want[st.Target])
		}
	}
}

// BenchmarkSweep1000: one sweep of 1000 targets on loopback (one server, 1000 URLs), each
// a realistic small expvar document, flattened and appended to the history.
func BenchmarkSweep1000(b *testing.B) {
	doc := []byte(`{"cmdline":["/app"],"goroutines":42,"business":{"orders":120,"payments":97,"logins":300},"memstats":{"Alloc":4194304,"TotalAlloc":99999999,"Sys":20000000,"Mallocs":123456,"Frees":120000,"HeapAlloc":4194304,"HeapSys":8000000,"HeapIdle":2000000,"HeapInuse":5000000,"HeapReleased":1000000,"HeapObjects":3456,"NumGC":77,"PauseTotalNs":12345678,"GCCPUFraction":0.0012}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(doc) }))
	defer srv.Close()
	targets := make([]goexpvar.Target, 1000)
	for i := range targets {
		targets[i] = goexpvar.Target{Name: fmt.Sprintf("t%d", i), URL: fmt.Sprintf("%s/debug/vars?i=%d", srv.URL, i)}
	}
	p, transport, err := newExpvarPoller(ExpvarSettings{Targets: targets, Poller: goexpvar.PollerOptions{Timeout: 5 * time.Second, Interval: time.Hour, Concurrency: 64}}, nil, nil, log.NewNullLogger(), goexpvar.Metrics{})
	if err != nil {
		b.Fatal(err)
	}
	defer transport.CloseIdleConnections()
	defer p.Stop()
	b.ReportAllocs()
	for b.Loop() {
		p.Sweep(context.Background())
	}
	for _, st := range p.Statuses() {
		if !st.Up {
			b.Fatalf("%s down: %s", st.Target, st.LastError)
		}
	}
}

// A data source without a Prometheus URL answers what its expvar targets can answer and
// refuses the rest, query by query, saying why; Save & test reports each target.
func TestExpvarOnlyDataSource(t *testing.T) {
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(smallDoc)) }))
	defer good.Close()
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{
		JSONData: []byte(`{"expvarTargets":[{"name":"api","url":"` + good.URL + `","job":"api"},{"name":"api","url":"` + good.URL + `"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	d := inst.(*Datasource)
	if d.settingsErr == nil || !strings.Contains(d.settingsErr.Error(), `expvar target name "api" is used twice`) {
		t.Errorf("duplicate names: %v", d.settingsErr)
	}
	d.Dispose()

	inst, err = NewDatasource(context.Background(), backend.DataSourceInstanceSettings{
		JSONData: []byte(`{"expvarTargets":[{"name":"api","url":"` + good.URL + `","job":"api"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	d = inst.(*Datasource)
	defer d.Dispose()
	if res, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{}); res.Status != backend.HealthStatusOk || res.Message != "1 of 1 expvar targets answer (1 configured, 0 discovered). api answers (3 variables)." {
		t.Errorf("Save & test: %v %q", res.Status, res.Message)
	}
	tr := backend.TimeRange{From: time.Now().Add(-time.Minute), To: time.Now()}
	q := func(refID, queryType, model string) backend.DataQuery {
		return backend.DataQuery{RefID: refID, QueryType: queryType, TimeRange: tr, Interval: time.Second, MaxDataPoints: 100, JSON: json.RawMessage(model)}
	}
	resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		q("expvar", "expvar", `{"paths":["goroutines","api.targets"],"targets":["api","api"]}`),
		q("runtime", "runtime", `{"signal":"heap_alloc","source":"auto","job":"api"}`),
		q("promql", "promql", `{"expr":"up"}`),
		q("untyped", "", `{"expr":"up"}`),
		q("labels", "variable", `{"variableQuery":{"kind":"label_names"}}`),
		q("targets", "variable", `{"variableQuery":{"kind":"expvar_targets"}}`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Responses
	if f := r["expvar"].Frames; r["expvar"].Error != nil || f[0].Rows() != 1 {
		t.Errorf("expvar: %v %v (a target named twice answers once)", r["expvar"].Error, f)
	}
	if r["runtime"].Error != nil || len(r["runtime"].Frames) != 1 {
		t.Errorf("runtime auto: %v", r["runtime"].Error)
	}
	if r["targets"].Error != nil {
		t.Errorf("expvar_targets variable: %v", r["targets"].Error)
	}
	for _, refID := range []string{"promql", "untyped", "labels"} {
		if res := r[refID]; res.Error == nil || res.Status != backend.StatusBadRequest || !strings.Contains(res.Error.Error(), "this data source has no Prometheus URL") {
			t.Errorf("%s: %d %v", refID, res.Status, res.Error)
		}
	}
}
