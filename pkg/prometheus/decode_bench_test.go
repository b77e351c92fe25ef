package prometheus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// BenchmarkDecode compares, on the same generated bodies (matrixBody), the decoding of a
// range-query answer by client_golang's model types through encoding/json
// ("client_golang"), by client_golang's v1 API (json-iterator with its own sample
// decoders, "v1api") and by Decode ("fast"). Only decoding: no frames are built.
func BenchmarkDecode(b *testing.B) {
	for _, size := range []struct{ series, points int }{{400, 300}, {2000, 720}} {
		start := time.Unix(1_764_000_000, 0)
		body := matrixBody(size.series, size.points, start, 15*time.Second)
		name := fmt.Sprintf("%dx%d", size.series, size.points)
		b.Run("client_golang/"+name, func(b *testing.B) {
			benchDecode(b, body, size.series, size.points, func() int {
				var r struct {
					Status string `json:"status"`
					Data   struct {
						ResultType model.ValueType `json:"resultType"`
						Result     model.Matrix    `json:"result"`
					} `json:"data"`
				}
				if err := json.Unmarshal(body, &r); err != nil {
					b.Fatal(err)
				}
				return len(r.Data.Result)
			})
		})
		b.Run("v1api/"+name, func(b *testing.B) {
			api := v1.NewAPI(bodyClient(body))
			benchDecode(b, body, size.series, size.points, func() int {
				v, _, _, err := api.Query(context.Background(), "x", time.Time{})
				if err != nil {
					b.Fatal(err)
				}
				return len(v.(model.Matrix))
			})
		})
		b.Run("fast/"+name, func(b *testing.B) {
			benchDecode(b, body, size.series, size.points, func() int {
				res, err := Decode(body, Limits{})
				if err != nil {
					b.Fatal(err)
				}
				return len(res.Series)
			})
		})
		// the cost of a resultType that comes after the result (skipped, then decoded)
		late := resultTypeLast(body)
		b.Run("fast_resultType_last/"+name, func(b *testing.B) {
			benchDecode(b, late, size.series, size.points, func() int {
				res, err := Decode(late, Limits{})
				if err != nil {
					b.Fatal(err)
				}
				return len(res.Series)
			})
		})
	}
}

func benchDecode(b *testing.B, body []byte, series, points int, decode func() int) {
	samples := float64(series * points)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		if n := decode(); n != series {
			b.Fatalf("%d series, want %d", n, series)
		}
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/samples, "ns/sample")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/samples, "B/sample")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/float64(series), "allocs/series")
}

// resultTypeLast moves "resultType":"matrix" of a matrixBody after the result.
func resultTypeLast(body []byte) []byte {
	const head = `{"status":"success","data":{"resultType":"matrix","result":[`
	if !bytes.HasPrefix(body, []byte(head)) || !bytes.HasSuffix(body, []byte(`]}}`)) {
		panic("not a matrixBody")
	}
	out := []byte(`{"status":"success","data":{"result":[`)
	out = append(out, body[len(head):len(body)-3]...)
	return append(out, `],"resultType":"matrix"}}`...)
}
