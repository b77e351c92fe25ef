package health

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/prometheus"
)

// benchInput is instances x 8 signals x points, with every tenth instance slow and some
// firing alerts, as the range queries of a health time-series query decode it.
func benchInput(instances, points int) *Input {
	g := Grid{Start: t0, Step: 15 * time.Second, Points: points}
	times := make([]time.Time, points)
	for k := range times {
		times[k] = g.At(k)
	}
	in := &Input{Grid: g}
	for i := range instances {
		l := data.Labels{"instance": fmt.Sprintf("10.0.%d.%d:8080", i/250, i%250), "job": "demo"}
		for sig := range NumSignals {
			vals := make([]float64, points)
			for k := range vals {
				vals[k] = float64((i+k)%100) / 100
				if sig == 0 {
					vals[k] = 1
				}
				if sig == Index(LatencyP99) && i%10 == 0 && k > points/2 {
					vals[k] = 0.8
				}
			}
			in.Series[sig] = append(in.Series[sig], prometheus.Series{Labels: l, Times: times, Values: vals})
		}
		if i%25 == 0 {
			in.Alerts = append(in.Alerts, Alert{Name: "GoHighLatencyP99", Level: "P1", Labels: l, Times: times[points/2:]})
		}
	}
	return in
}

// frameBytes is the size of the frames' values: what the join hands to the SDK.
func frameBytes(fr data.Frames) int {
	n := 0
	for _, f := range fr {
		for _, fl := range f.Fields {
			switch fl.Type() {
			case data.FieldTypeTime:
				n += 24 * fl.Len()
			default:
				n += 8 * fl.Len()
			}
		}
	}
	return n
}

// BenchmarkJoin: the health join for 500 instances x 8 signals x 720 points into one
// wide frame per instance, against a baseline that joins the same series the obvious
// way (a map of instance to a map of timestamp to signals), in the same run.
func BenchmarkJoin(b *testing.B) {
	in := benchInput(500, 720)
	o := opts()
	b.Run("gopulse/500x8x720", func(b *testing.B) {
		b.ReportAllocs()
		var fr data.Frames
		for b.Loop() {
			fr = NewJoin(in, o).TimeSeries()
		}
		b.ReportMetric(float64(frameBytes(fr)), "frame-B/op")
	})
	b.Run("baseline-maps/500x8x720", func(b *testing.B) {
		b.ReportAllocs()
		var fr data.Frames
		for b.Loop() {
			fr = baselineJoin(in, o)
		}
		b.ReportMetric(float64(frameBytes(fr)), "frame-B/op")
	})
	b.Run("gopulse-table/500x8x1", func(b *testing.B) {
		one := benchInput(500, 1)
		b.ReportAllocs()
		for b.Loop() {
			NewJoin(one, o).Table()
		}
	})
}

// baselineJoin is the straightforward join: instance -> unix ms -> signal values, then
// the same thresholds, one frame per instance.
func baselineJoin(in *Input, o Options) data.Frames {
	b := o.Thresholds.bounds()
	joined := map[string]map[int64]*[NumSignals]float64{}
	for sig := range in.Series {
		for _, s := range in.Series[sig] {
			inst := s.Labels[o.InstanceLabel]
			m := joined[inst]
			if m == nil {
				m = map[int64]*[NumSignals]float64{}
				joined[inst] = m
			}
			for n, t := range s.Times {
				v := m[t.UnixMilli()]
				if v == nil {
					v = &[NumSignals]float64{}
					for i := range v {
						v[i] = math.NaN()
					}
					m[t.UnixMilli()] = v
				}
				if math.IsNaN(v[sig]) {
					v[sig] = s.Values[n]
				}
			}
		}
	}
	firing := map[string]map[int64]bool{}
	for _, a := range in.Alerts {
		inst := a.Labels[o.InstanceLabel]
		if firing[inst] == nil {
			firing[inst] = map[int64]bool{}
		}
		for _, t := range a.Times {
			firing[inst][t.UnixMilli()] = true
		}
	}
	var out data.Frames
	for inst, m := range joined {
		keys := make([]int64, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		f := data.NewFrame(inst, data.NewField("time", nil, []time.Time{}), data.NewField("status", nil, []float64{}))
		for sig := range NumSignals {
			f.Fields = append(f.Fields, data.NewField(string(signals[sig].ID), nil, []float64{}))
		}
		for _, k := range keys {
			v := m[k]
			st := OK
			if v[0] == 0 {
				st = Down
			} else {
				for sig := 1; sig < NumSignals; sig++ {
					if v[sig] >= b[sig].critical || firing[inst][k] {
						st = Critical
					} else if v[sig] >= b[sig].warning && st < Warning {
						st = Warning
					}
				}
			}
			vals := []any{time.UnixMilli(k), float64(st)}
			for _, x := range v {
				vals = append(vals, x)
			}
			f.AppendRow(vals...)
		}
		out = append(out, f)
	}
	return out
}
