package plugin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	promclient "github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/gopulse/health/pkg/telemetry"
	"github.com/gopulse/health/pkg/telemetry/logtest"
)

const (
	password = "hunter2-password"
	token    = "tok-5f3c9a1e77"
)

var (
	spansOnce sync.Once
	spans     *tracetest.InMemoryExporter
)

// recordSpans sets, once for the package, a tracer provider that keeps every span in
// memory, and empties it.
func recordSpans() *tracetest.InMemoryExporter {
	spansOnce.Do(func() {
		spans = tracetest.NewInMemoryExporter()
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)))
	})
	spans.Reset()
	return spans
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// leakyDataSource is a data source with a basic-auth password and a header token whose
// servers fail: Prometheus is a proxy that quotes the request's credentials in its error
// page, Alertmanager refuses connections, and the expvar target api quotes the token in
// its error; only the expvar target ok answers. It logs into the returned recorder.
type leakyDataSource struct {
	d          *Datasource
	rec        *logtest.Recorder
	promHost   string
	amHost     string
	targetHost string
	// targetHeaders are the headers the expvar target received.
	mu            sync.Mutex
	targetHeaders []http.Header
}

func newLeakyDataSource(t *testing.T) *leakyDataSource {
	t.Helper()
	l := &leakyDataSource{rec: logtest.New(), amHost: closedAddr(t)}
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("upstream refused: Authorization=" + r.Header.Get("Authorization") + " X-Token=" + r.Header.Get("X-Token")))
	}))
	t.Cleanup(prom.Close)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.targetHeaders = append(l.targetHeaders, r.Header.Clone())
		l.mu.Unlock()
		http.Error(w, "token "+token+" is not valid here", http.StatusServiceUnavailable)
	}))
	t.Cleanup(target.Close)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(smallDoc)) }))
	t.Cleanup(ok.Close)
	l.promHost, l.targetHost = strings.TrimPrefix(prom.URL, "http://"), strings.TrimPrefix(target.URL, "http://")
	jd, _ := json.Marshal(map[string]any{
		"alertmanagerUrl": "http://" + l.amHost, "httpHeaderName1": "X-Token",
		"expvarTargets": []map[string]string{
			{"name": "api", "url": target.URL + "/debug/vars", "instance": "api:1"},
			{"name": "ok", "url": ok.URL + "/debug/vars", "instance": "ok:1"},
		},
		"expvarPollInterval": "1h",
	})
	inst, err := newDatasource(context.Background(), backend.DataSourceInstanceSettings{
		UID: "leaky-" + t.Name(), Type: "gopulse-health-datasource", URL: prom.URL, BasicAuthEnabled: true, BasicAuthUser: "alice", JSONData: jd,
		DecryptedSecureJSONData: map[string]string{"basicAuthPassword": password, "httpHeaderValue1": "Bearer " + token},
	}, l.rec)
	if err != nil {
		t.Fatal(err)
	}
	l.d = inst.(*Datasource)
	t.Cleanup(l.d.Dispose)
	return l
}

func (l *leakyDataSource) query(t *testing.T, queries ...backend.DataQuery) *backend.QueryDataResponse {
	t.Helper()
	for i := range queries {
		queries[i].TimeRange = backend.TimeRange{From: time.Now().Add(-time.Hour), To: time.Now()}
		queries[i].Interval, queries[i].MaxDataPoints = 15*time.Second, 100
	}
	res, err := l.d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: queries})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// assertNoSecret fails when a log line carries the password, the token or the basic-auth
// header's base64.
func assertNoSecret(t *testing.T, lines []logtest.Line) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte("alice:" + password))
	for _, line := range lines {
		for _, secret := range []string{password, token, basic} {
			if strings.Contains(line.String(), secret) {
				t.Errorf("log line carries a secret: %s", line)
			}
		}
	}
}

// A failed request to Prometheus or Alertmanager is one warning naming the service and
// the host (and the status), and no log line or query error carries a secret, even when
// the servers quote the credentials back.
func TestFailedUpstreamRequestsAreLogged(t *testing.T) {
	l := newLeakyDataSource(t)
	res := l.query(t,
		backend.DataQuery{RefID: "A", QueryType: "promql", JSON: json.RawMessage(`{"expr":"up","range":true}`)},
		backend.DataQuery{RefID: "B", QueryType: "alerts", JSON: json.RawMessage(`{"source":"alertmanager"}`)},
	)
	if res.Responses["A"].Error == nil || res.Responses["B"].Error == nil {
		t.Fatalf("the queries did not fail: %v, %v", res.Responses["A"].Error, res.Responses["B"].Error)
	}
	warns := l.rec.At(log.Warn)
	byService := map[any][]logtest.Line{}
	for _, w := range warns {
		byService[w.Arg("service")] = append(byService[w.Arg("service")], w)
	}
	if p := byService["Prometheus"]; len(p) != 1 || p[0].Arg("host") != l.promHost || p[0].Arg("status") != http.StatusBadGateway {
		t.Errorf("Prometheus: want one warning with host %s and status 502, got %v", l.promHost, p)
	}
	if a := byService["Alertmanager"]; len(a) != 1 || a[0].Arg("host") != l.amHost || !strings.Contains(a[0].String(), "connection refused") {
		t.Errorf("Alertmanager: want one warning with host %s (connection refused), got %v", l.amHost, a)
	}
	if len(warns) != 2 {
		t.Errorf("%d warnings, want 2: %v", len(warns), warns)
	}
	assertNoSecret(t, l.rec.Lines())
	// The SDK logs a failed query's error (and the span carries it): it is masked too.
	if msg := res.Responses["A"].Error.Error(); !strings.Contains(msg, "[redacted]") || strings.Contains(msg, token) || res.Responses["A"].Status != backend.StatusBadGateway {
		t.Errorf("Prometheus error %q (status %d), want the quoted credentials masked and 502", msg, res.Responses["A"].Status)
	}
}

// The expvar target gets neither the basic auth nor the custom header; its error, which
// quotes the token, reaches the log masked.
func TestExpvarClientAndLogMaskSecrets(t *testing.T) {
	l := newLeakyDataSource(t)
	l.query(t, backend.DataQuery{RefID: "A", QueryType: "expvar", JSON: json.RawMessage(`{"paths":["goroutines"]}`)})
	l.mu.Lock()
	headers := l.targetHeaders
	l.mu.Unlock()
	if len(headers) == 0 {
		t.Fatal("the target was not polled")
	}
	for _, h := range headers {
		if h.Get("Authorization") != "" || h.Get("X-Token") != "" {
			t.Errorf("the expvar target got credentials: %v", h)
		}
	}
	down := l.rec.At(log.Warn)
	if len(down) != 1 || down[0].Arg("target") != "api" || !strings.Contains(down[0].String(), "[redacted]") {
		t.Errorf("want one masked 'target down' warning, got %v", down)
	}
	assertNoSecret(t, l.rec.Lines())
}

// Each query has its span with its type, format and counts; the request to Prometheus
// has its own span within the query's, and so has the poll of the expvar target (its
// client has the SDK's tracing middleware).
func TestQuerySpans(t *testing.T) {
	exp := recordSpans()
	l := newLeakyDataSource(t)
	l.query(t,
		backend.DataQuery{RefID: "A", QueryType: "promql", JSON: json.RawMessage(`{"expr":"up","format":"table"}`)},
		backend.DataQuery{RefID: "B", QueryType: "expvar", JSON: json.RawMessage(`{"paths":["goroutines"],"mode":"history"}`)},
	)
	queries := map[string]sdktrace.ReadOnlySpan{}
	var outgoing []sdktrace.ReadOnlySpan
	for _, s := range exp.GetSpans().Snapshots() {
		switch s.Name() {
		case "gopulse.query":
			queries[attr(s, telemetry.AttrRefID).AsString()] = s
		case "HTTP Outgoing Request":
			outgoing = append(outgoing, s)
		}
	}
	a, b := queries["A"], queries["B"]
	if a == nil || b == nil {
		t.Fatalf("query spans: %v", queries)
	}
	if attr(a, telemetry.AttrQueryType).AsString() != "promql" || attr(a, telemetry.AttrFormat).AsString() != "table" || a.Status().Description == "" {
		t.Errorf("promql span: %v, status %v", a.Attributes(), a.Status())
	}
	if strings.Contains(a.Status().Description, token) || strings.Contains(a.Status().Description, password) {
		t.Errorf("span status carries a secret: %s", a.Status().Description)
	}
	if attr(b, telemetry.AttrQueryType).AsString() != "expvar" || attr(b, telemetry.AttrFormat).AsString() != "history" || attr(b, telemetry.AttrTargets).AsInt64() != 1 {
		t.Errorf("expvar span: %v", b.Attributes())
	}
	inA, polls := 0, 0
	for _, s := range outgoing {
		if s.Parent().SpanID() == a.SpanContext().SpanID() {
			inA++
		}
		if strings.Contains(attr(s, "http.url").AsString(), l.targetHost) {
			polls++
		}
	}
	if inA != 1 || polls != 1 {
		t.Errorf("%d outgoing request spans in the promql query's span and %d polls of the target, want 1 and 1 (of %d)", inA, polls, len(outgoing))
	}
}

func attr(s sdktrace.ReadOnlySpan, k attribute.Key) attribute.Value {
	for _, kv := range s.Attributes() {
		if kv.Key == k {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// Save & test details each component: Prometheus and Alertmanager failing with their
// messages, expvar with its targets (two configured, one up, the other named as down).
func TestCheckHealthDetails(t *testing.T) {
	l := newLeakyDataSource(t)
	res, err := l.d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var details map[string]componentHealth
	if err := json.Unmarshal(res.JSONDetails, &details); err != nil {
		t.Fatalf("details %s: %v", res.JSONDetails, err)
	}
	if p := details["prometheus"]; p.Status != "error" || !strings.Contains(p.Message, "Prometheus") || !strings.Contains(res.Message, p.Message) {
		t.Errorf("prometheus %+v; message %q", p, res.Message)
	}
	if a := details["alertmanager"]; a.Status != "error" || !strings.Contains(a.Message, "connection refused") {
		t.Errorf("alertmanager %+v", a)
	}
	e := details["expvar"]
	if e.Status != "warning" || e.Configured == nil || *e.Configured != 2 || *e.Discovered != 0 || *e.Up != 1 ||
		!strings.Contains(e.Message, "1 of 2 expvar targets answer") || !strings.Contains(e.Message, "api does not: expvar target api: server error 503") ||
		!strings.Contains(e.Message, "ok answers (3 variables)") || len(e.Targets) != 2 || e.Targets[1].Vars != 3 || !strings.Contains(res.Message, e.Message) {
		t.Errorf("expvar %+v", e)
	}
	if strings.Contains(string(res.JSONDetails), token) {
		t.Errorf("details carry the token: %s", res.JSONDetails)
	}
}

// After the expvar target has been polled, the default registry (what the SDK's metrics
// endpoint serves) has the data source's expvar series; resource lookups count hits and
// misses. Disposing the instance removes its series.
func TestMetricsInDefaultRegistry(t *testing.T) {
	l := newLeakyDataSource(t)
	l.query(t, backend.DataQuery{RefID: "A", QueryType: "expvar", JSON: json.RawMessage(`{"paths":["goroutines"]}`)})
	for range 2 {
		if _, _, err := l.d.resourceCache.Do(context.Background(), "labels?", func(context.Context) (encodedAnswer, time.Time, error) {
			return encodedAnswer{body: []byte("[]\n")}, time.Now().Add(time.Minute), nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	uid := "leaky-" + t.Name()
	got := gather(t, uid)
	for series, want := range map[string]float64{
		"gopulse_expvar_targets state=down":                              1,
		"gopulse_expvar_targets state=up":                                1,
		"gopulse_expvar_poll_duration_seconds":                           2, // observations
		"gopulse_resource_cache_requests_total result=hit":               1,
		"gopulse_resource_cache_requests_total result=miss":              1,
		"gopulse_expvar_history_dropped_samples_total reason=memory_cap": 0,
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	if _, ok := got["gopulse_expvar_history_bytes"]; !ok {
		t.Error("gopulse_expvar_history_bytes missing")
	}
	l.d.Dispose()
	if left := gather(t, uid); len(left) != 0 {
		t.Errorf("series left after Dispose: %v", left)
	}
}

// gather reads the default registry's gopulse series of the data source uid, as
// "name label=value" (the datasource label left out) → value (a histogram's count).
func gather(t *testing.T, uid string) map[string]float64 {
	t.Helper()
	families, err := promclient.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "gopulse_") {
			continue
		}
		for _, m := range f.GetMetric() {
			key, mine := f.GetName(), false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "datasource" {
					mine = lp.GetValue() == uid
				} else {
					key += " " + lp.GetName() + "=" + lp.GetValue()
				}
			}
			if mine {
				out[key] = metricValue(m)
			}
		}
	}
	return out
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}

// Discovery failing at every sweep (Prometheus refuses connections) is one warning, not
// one per sweep: the discovery requests themselves are logged at debug level only.
func TestDiscoveryFailureLoggedOnce(t *testing.T) {
	rec := logtest.New()
	promAddr := closedAddr(t)
	jd, _ := json.Marshal(map[string]any{"expvarDiscoverJobs": []string{"api"}, "expvarPollInterval": "1h"})
	inst, err := newDatasource(context.Background(), backend.DataSourceInstanceSettings{UID: t.Name(), Type: "gopulse-health-datasource", URL: "http://" + promAddr, JSONData: jd}, rec)
	if err != nil {
		t.Fatal(err)
	}
	d := inst.(*Datasource)
	defer d.Dispose()
	for range 4 {
		d.expvar.Sweep(context.Background())
	}
	warns := rec.At(log.Warn)
	if len(warns) != 1 || !strings.Contains(warns[0].Msg, "discovery failed") || !strings.Contains(warns[0].String(), "connection refused by "+promAddr) {
		t.Errorf("want one 'discovery failed' warning naming %s, got %v", promAddr, warns)
	}
	if debug := rec.At(log.Debug); len(debug) != 4 || debug[0].Arg("service") != "Prometheus" {
		t.Errorf("want the 4 failed discovery requests at debug level, got %v", debug)
	}
}
