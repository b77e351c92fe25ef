package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Several health queries in one request, each fanning out to its signals and alerts,
// never have more than maxUpstreamRequests requests in flight at Prometheus, and still
// all answer. The server holds every request until the bound is reached once, so the test
// sees the bound used, not only respected, and then holds each answer a little, so that
// without the bound the fan-outs of the queries overlap (the count is what is checked).
func TestUpstreamRequestsBounded(t *testing.T) {
	const bound, healthQueries = 3, 4
	var (
		inFlight, most, total atomic.Int32
		reached               = make(chan struct{})
		once                  sync.Once
	)
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		total.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if n >= bound {
			once.Do(func() { close(reached) })
		}
		select {
		case <-reached:
		case <-r.Context().Done():
			return
		}
		time.Sleep(10 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/v1/alerts" {
			_, _ = w.Write([]byte(`{"status":"success","data":{"alerts":[]}}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
	}))
	defer prom.Close()
	jsonData, _ := json.Marshal(map[string]any{"maxUpstreamRequests": bound, "maxConcurrentQueries": healthQueries})
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{URL: prom.URL, JSONData: jsonData})
	if err != nil {
		t.Fatal(err)
	}
	d := inst.(*Datasource)
	defer d.Dispose()

	now := time.Now()
	var queries []backend.DataQuery
	for i := range healthQueries {
		queries = append(queries, backend.DataQuery{RefID: fmt.Sprint("H", i), QueryType: "health",
			JSON:      json.RawMessage(fmt.Sprintf(`{"queryType":"health","job":"job%d"}`, i)),
			TimeRange: backend.TimeRange{From: now.Add(-time.Hour), To: now}, Interval: time.Minute, MaxDataPoints: 100})
	}
	res, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: queries})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		if r := res.Responses[q.RefID]; r.Error != nil || len(r.Frames) == 0 {
			t.Errorf("%s: %v %v, want an answer", q.RefID, r.Error, r.Frames)
		}
	}
	// Each health query asks for the presence of the runtime metrics, then up, request
	// rate, error ratio, latency p99 and the alerts at once; the alerts are the same for
	// every query, so one request serves them all.
	if n := total.Load(); n != healthQueries*5+1 {
		t.Errorf("%d requests, want %d", n, healthQueries*5+1)
	}
	if m := most.Load(); m != bound {
		t.Errorf("at most %d requests in flight at once, want the bound %d", m, bound)
	}
}
