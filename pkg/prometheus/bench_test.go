package prometheus

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gopulse/health/pkg/prometheus/promtest"
)

// matrixBody generates a query_range answer (see promtest.MatrixBody).
func matrixBody(series, points int, start time.Time, step time.Duration) []byte {
	return promtest.MatrixBody(series, points, start, step)
}

// bodyTransport answers every request with the same body, from memory: the benchmark
// measures decoding and frame building, not the network.
type bodyTransport []byte

func (t bodyTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(t))}, nil
}

// baselineQueryRange is the foundation's range-query path, kept as the baseline:
// client_golang's v1 API decodes the answer into model.Matrix, then frames are built
// from it.
func baselineQueryRange(c *Client, expr, legendFormat string, r v1.Range) (data.Frames, error) {
	v, _, _, err := c.api.QueryRange(context.Background(), expr, r)
	if err != nil {
		return nil, err
	}
	m := v.(model.Matrix)
	frames := make(data.Frames, 0, len(m))
	for _, s := range m {
		times := make([]time.Time, len(s.Values))
		values := make([]float64, len(s.Values))
		for i, p := range s.Values {
			times[i] = p.Timestamp.Time().UTC()
			values[i] = float64(p.Value)
		}
		labels := make(data.Labels, len(s.Metric))
		for k, v := range s.Metric {
			labels[string(k)] = string(v)
		}
		value := data.NewField(data.TimeSeriesValueFieldName, labels, values)
		value.Config = &data.FieldConfig{DisplayNameFromDS: legend(legendFormat, labels)}
		frames = append(frames, data.NewFrame("", data.NewField(data.TimeSeriesTimeFieldName, nil, times), value))
	}
	return frames, nil
}

// BenchmarkQueryRange compares, on the same generated bodies, the baselines (client_golang
// v1 decoding + frames; the streaming jsoniter conversion of Grafana's Prometheus data
// source, see bench_jsoniter_test.go) with GoPulse's path (one-pass
// decoder straight into the frame fields' vectors). B/sample is against a floor of 32:
// a time.Time and a float64 per sample.
//
// The bodies' series all have the same times, as a range query's do (GoPulse's frames then
// share one time vector); "staggered" bodies give every series times of its own (series s
// a millisecond later than series s-1), where nothing is shared.
func BenchmarkQueryRange(b *testing.B) {
	for _, size := range []struct {
		series, points int
		stagger        time.Duration
	}{{400, 300, 0}, {2000, 720, 0}, {400, 300, time.Millisecond}} {
		start := time.Unix(1_764_000_000, 0)
		step := 15 * time.Second
		body := promtest.StaggeredMatrixBody(size.series, size.points, start, step, size.stagger)
		shape := fmt.Sprintf("%dx%d", size.series, size.points)
		if size.stagger > 0 {
			shape += "-staggered"
		}
		base, _ := url.Parse("http://prometheus.invalid:9090")
		c, err := New(base, &http.Client{Transport: bodyTransport(body)}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		r, _ := StepRange(start, start.Add(time.Duration(size.points-1)*step), step, 0, 0)
		paths := []struct {
			name string
			run  func() (data.Frames, error)
		}{
			{"client_golang", func() (data.Frames, error) {
				return baselineQueryRange(c, "rate(http_requests_total[1m])", "{{instance}}", r)
			}},
			{"jsoniter", func() (data.Frames, error) {
				return jsoniterQueryRange(c, "rate(http_requests_total[1m])", "{{instance}}", r)
			}},
			{"gopulse", func() (data.Frames, error) {
				return c.QueryRange(context.Background(), Query{Expr: "rate(http_requests_total[1m])", LegendFormat: "{{instance}}"}, r)
			}},
		}
		for _, p := range paths {
			b.Run(p.name+"/"+shape, func(b *testing.B) {
				samples := float64(size.series * size.points)
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				if _, err := p.run(); err != nil { // warm: measure the steady state
					b.Fatal(err)
				}
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for b.Loop() {
					frames, err := p.run()
					if err != nil || len(frames) != size.series {
						b.Fatalf("%d frames, %v", len(frames), err)
					}
				}
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/samples, "ns/sample")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/samples, "B/sample")
			})
		}
	}
}
