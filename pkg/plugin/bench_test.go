package plugin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/pkg/prometheus/promtest"
)

// BenchmarkQueryData compares, on one loopback server answering the same 400x300
// query_range body: the raw HTTP fetch of the body (the floor), and a whole promql
// QueryData (dispatch, step, fetch, one-pass decode, frames).
func BenchmarkQueryData(b *testing.B) {
	start := time.Unix(1_764_000_000, 0)
	body := promtest.MatrixBody(400, 300, start, 15*time.Second)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()

	b.Run("raw-fetch/400x300", func(b *testing.B) {
		hc := &http.Client{}
		defer hc.CloseIdleConnections()
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			resp, err := hc.Post(srv.URL+"/api/v1/query_range", "application/x-www-form-urlencoded", nil)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if n != int64(len(body)) {
				b.Fatalf("read %d bytes", n)
			}
		}
	})
	b.Run("QueryData/400x300", func(b *testing.B) {
		inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{URL: srv.URL})
		if err != nil {
			b.Fatal(err)
		}
		d := inst.(*Datasource)
		defer d.Dispose()
		model, _ := json.Marshal(map[string]any{"queryType": "promql", "expr": "rate(http_requests_total[1m])", "legendFormat": "{{instance}}"})
		req := &backend.QueryDataRequest{Queries: []backend.DataQuery{{
			RefID: "A", QueryType: "promql", JSON: model, Interval: 15 * time.Second, MaxDataPoints: 300,
			TimeRange: backend.TimeRange{From: start, To: start.Add(299 * 15 * time.Second)},
		}}}
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			res, err := d.QueryData(context.Background(), req)
			if err != nil || res.Responses["A"].Error != nil || len(res.Responses["A"].Frames) != 400 {
				b.Fatalf("%v %v", err, res.Responses["A"].Error)
			}
		}
	})
}
