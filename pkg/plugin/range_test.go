package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Every query that reads its time range answers an inverted or empty range with the
// same 400 as promql, whatever its source (expvar history and rate, runtime from expvar
// or Prometheus, health in every format, the alerts timeline); a query that does not
// read the range (expvar latest) still answers in the same request.
func TestEmptyRangeIsBadInput(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(smallDoc)) }))
	defer target.Close()
	jsonData, _ := json.Marshal(map[string]any{
		"expvarTargets":      []map[string]string{{"name": "app", "url": target.URL + "/debug/vars", "instance": "app:1"}},
		"expvarPollInterval": "1h",
	})
	// Nothing listens at the Prometheus URL: no query here may need it.
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{URL: "http://127.0.0.1:1", JSONData: jsonData})
	if err != nil {
		t.Fatal(err)
	}
	d := inst.(*Datasource)
	defer d.Dispose()

	now := time.Now()
	inverted := backend.TimeRange{From: now, To: now.Add(-time.Hour)}
	empty := backend.TimeRange{From: now, To: now}
	models := map[string]string{
		"promql":           `{"queryType":"promql","expr":"up"}`,
		"expvar-history":   `{"queryType":"expvar","paths":["goroutines"],"mode":"history"}`,
		"expvar-rate":      `{"queryType":"expvar","paths":["memstats.NumGC"],"mode":"rate"}`,
		"runtime-expvar":   `{"queryType":"runtime","signal":"goroutines","source":"expvar"}`,
		"runtime-auto":     `{"queryType":"runtime","signal":"goroutines"}`,
		"health-table":     `{"queryType":"health"}`,
		"health-numeric":   `{"queryType":"health","format":"numeric"}`,
		"health-series":    `{"queryType":"health","format":"time_series"}`,
		"alerts-timeline":  `{"queryType":"alerts","format":"timeline"}`,
		"expvar-latest-ok": `{"queryType":"expvar","paths":["goroutines"]}`,
	}
	var queries []backend.DataQuery
	for ref, m := range models {
		var head struct {
			QueryType string `json:"queryType"`
		}
		_ = json.Unmarshal([]byte(m), &head)
		for name, tr := range map[string]backend.TimeRange{"inverted": inverted, "empty": empty} {
			queries = append(queries, backend.DataQuery{RefID: ref + "/" + name, QueryType: head.QueryType, JSON: json.RawMessage(m),
				TimeRange: tr, Interval: time.Second, MaxDataPoints: 100})
		}
	}
	res, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: queries})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		r := res.Responses[q.RefID]
		if strings.HasPrefix(q.RefID, "expvar-latest-ok/") {
			if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Rows() != 1 {
				t.Errorf("%s: %v %v, want the latest value (the range is not read)", q.RefID, r.Error, r.Frames)
			}
			continue
		}
		if r.Status != backend.StatusBadRequest || r.Error == nil || r.Error.Error() != "the time range is empty: its end must be after its start" {
			t.Errorf("%s: %d %v, want 400: the time range is empty", q.RefID, r.Status, r.Error)
		}
	}
}
