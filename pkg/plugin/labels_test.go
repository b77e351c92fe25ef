package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// recordingPrometheus answers every label-values request with ["v"] and records the
// paths it was asked for (as sent, escapes kept).
func recordingPrometheus(t *testing.T) (*Datasource, func() []string) {
	t.Helper()
	var (
		mu    sync.Mutex
		paths []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":["v"]}`))
	}))
	t.Cleanup(srv.Close)
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	d := inst.(*Datasource)
	t.Cleanup(d.Dispose)
	return d, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(paths)
	}
}

// callResource calls one resource of d, as Grafana does (path with its query string),
// and returns its status and body.
func callResource(t *testing.T, d *Datasource, path string) (int, string) {
	t.Helper()
	var res *backend.CallResourceResponse
	p, _, _ := strings.Cut(path, "?")
	err := d.CallResource(context.Background(), &backend.CallResourceRequest{Method: http.MethodGet, Path: p, URL: path},
		backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error { res = r; return nil }))
	if err != nil || res == nil {
		t.Fatalf("CallResource %s: %v", path, err)
	}
	return res.Status, string(res.Body)
}

// A label name that would leave /api/v1/label/<name>/values (a path traversal to
// another endpoint, with the data source's credentials) is refused with 400 naming the
// label, by the label-values resource and the label_values variable alike, and nothing
// is sent; a UTF-8 label name is sent in Prometheus 3's U__ escaping, one path segment.
func TestLabelValuesPathSegment(t *testing.T) {
	d, paths := recordingPrometheus(t)
	const traversal = "../../../api/v1/status/config"
	for _, bad := range []string{traversal, "..", "a/b", "tab\there"} {
		status, body := callResource(t, d, "label-values?label="+url.QueryEscape(bad))
		if status != http.StatusBadRequest || !strings.Contains(body, "is not a label name") || (bad == traversal && !strings.Contains(body, traversal)) {
			t.Errorf("resource label %q: %d %s, want 400 naming the label", bad, status, body)
		}
		model, _ := json.Marshal(map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "label_values", "label": bad}})
		res, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{{RefID: "A", QueryType: "variable", JSON: model}}})
		if err != nil {
			t.Fatal(err)
		}
		if r := res.Responses["A"]; r.Status != backend.StatusBadRequest || r.Error == nil || !strings.Contains(r.Error.Error(), "is not a label name") {
			t.Errorf("variable label %q: %d %v, want 400", bad, r.Status, r.Error)
		}
	}
	if got := paths(); len(got) > 0 {
		t.Fatalf("refused labels reached the server: %q", got)
	}

	for label, want := range map[string]string{
		"job":         "/api/v1/label/job/values",
		"http.method": "/api/v1/label/U__http_2e_method/values",
	} {
		status, body := callResource(t, d, "label-values?label="+url.QueryEscape(label))
		if status != http.StatusOK || strings.TrimSpace(body) != `["v"]` {
			t.Errorf("label %q: %d %s, want 200 [\"v\"]", label, status, body)
		}
		if got := paths(); !slices.Contains(got, want) {
			t.Errorf("label %q: paths %q, want %s among them", label, got, want)
		}
	}
	for _, p := range paths() {
		if p != "/api/v1/label/job/values" && p != "/api/v1/label/U__http_2e_method/values" {
			t.Errorf("request to %s: only /api/v1/label/<escaped>/values may be asked", p)
		}
	}
}
