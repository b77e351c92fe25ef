package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopulse/health/internal/frametest"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// healthTable runs one health table query on a data source whose Prometheus is at
// promURL and whose one expvar target (instance app:1) answers, so that the instance is
// known whatever Prometheus does. It returns the answer and app:1's reason.
func healthTable(t *testing.T, promURL string) (backend.DataResponse, string) {
	t.Helper()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(smallDoc)) }))
	t.Cleanup(target.Close)
	jsonData, _ := json.Marshal(map[string]any{
		"expvarTargets":      []map[string]string{{"name": "app", "url": target.URL + "/debug/vars", "instance": "app:1"}},
		"expvarPollInterval": "1h",
	})
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{URL: promURL, JSONData: jsonData})
	if err != nil {
		t.Fatal(err)
	}
	d := inst.(*Datasource)
	t.Cleanup(d.Dispose)
	now := time.Now()
	res, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{{
		RefID: "A", QueryType: "health", JSON: json.RawMessage(`{"queryType":"health"}`),
		TimeRange: backend.TimeRange{From: now.Add(-time.Hour), To: now}, Interval: time.Minute, MaxDataPoints: 100,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Responses["A"]
	if len(r.Frames) != 1 {
		t.Fatalf("frames %v (error %v), want the table", r.Frames, r.Error)
	}
	f := r.Frames[0]
	row, _ := f.FieldByName("instance")
	reason, _ := f.FieldByName("reason")
	if row == nil || reason == nil || f.Rows() != 1 || row.At(0) != "app:1" {
		t.Fatalf("table %v, want one row for app:1", f)
	}
	return r, reason.At(0).(string)
}

// Prometheus refusing connections is said as "Prometheus: connection refused …", with
// the source named once, in the reason, the notice and the error.
func TestHealthFailureNamesSourceOnce(t *testing.T) {
	r, reason := healthTable(t, "http://127.0.0.1:1")
	const want = "Prometheus: connection refused by 127.0.0.1:1: is the server running and the port right?"
	if reason != "unknown: "+want {
		t.Errorf("reason %q, want %q", reason, "unknown: "+want)
	}
	if r.Error == nil || r.Error.Error() != want || r.Status != backend.StatusBadGateway {
		t.Errorf("error %d %v, want 502 %s", r.Status, r.Error, want)
	}
	for _, n := range frametest.NoticeTexts(r.Frames[0]) {
		if strings.Contains(n, "Prometheus: Prometheus") {
			t.Errorf("notice %q names Prometheus twice", n)
		}
	}
}

// When every signal and the alerts fail with the same error (Prometheus answered the
// presence query, then failed the rest), the answer says that error once: in the error,
// in the notices and in the reason, naming the signals it hit.
func TestHealthSameErrorOnce(t *testing.T) {
	var queries atomic.Int32
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/query" && queries.Add(1) == 1 { // the presence of the runtime metrics
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
			return
		}
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	defer prom.Close()
	r, reason := healthTable(t, prom.URL)
	const msg = "Prometheus: server error 503: overloaded"
	if r.Error == nil || r.Error.Error() != msg {
		t.Errorf("error %q, want %q once", r.Error, msg)
	}
	if n := strings.Count(reason, msg); n != 1 || !strings.HasPrefix(reason, "unknown: alerts, error ratio, latency p99, request rate, up: ") {
		t.Errorf("reason %q: want %q once, after the sources it hit", reason, msg)
	}
	n := 0
	for _, text := range frametest.NoticeTexts(r.Frames[0]) {
		n += strings.Count(text, msg)
	}
	if n != 1 {
		t.Errorf("notices %q say %q %d times, want once", frametest.NoticeTexts(r.Frames[0]), msg, n)
	}
}
