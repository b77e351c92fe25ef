package prometheus

import (
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/query"
)

func at(sec ...int64) []time.Time {
	out := make([]time.Time, len(sec))
	for i, s := range sec {
		out[i] = time.Unix(s, 0).UTC()
	}
	return out
}

func TestLegend(t *testing.T) {
	l := data.Labels{"__name__": "http_requests_total", "job": "demo", "instance": "a:1", "path": "/x"}
	cases := map[string]string{
		"":                       `http_requests_total{instance="a:1", job="demo", path="/x"}`,
		"{{job}} {{ instance }}": "demo a:1",
		"{{missing}}-{{path}}":   "-/x",
		"literal":                "literal",
	}
	for in, want := range cases {
		if got := legend(in, l); got != want {
			t.Errorf("legend(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTableFramesSortsRowsByTime(t *testing.T) {
	res := &Result{Type: "matrix", Warnings: []string{"careful"}, Series: []Series{
		{Labels: data.Labels{"job": "a"}, Times: at(10, 20), Values: []float64{1, 2}},
		{Labels: data.Labels{"job": "b", "path": "/p"}, Times: at(15), Values: []float64{3}},
	}}
	fr, err := buildFrames(res, query.FormatTable, "", "x")
	if err != nil {
		t.Fatal(err)
	}
	f := fr[0]
	if f.Meta.Type != data.FrameTypeTimeSeriesLong || len(f.Meta.Notices) != 1 {
		t.Fatalf("meta %+v", f.Meta)
	}
	var got []string
	for i := range f.Rows() {
		got = append(got, f.Fields[1].At(i).(string)+f.Fields[2].At(i).(string))
	}
	if strings.Join(got, ",") != "a,b/p,a" || f.Fields[3].At(1).(float64) != 3 {
		t.Errorf("rows %v", got)
	}
}

func TestHeatmapDecumulates(t *testing.T) {
	bucket := func(le string, v ...float64) Series {
		return Series{Labels: data.Labels{"le": le, "job": "demo"}, Times: at(1, 2)[:len(v)], Values: v}
	}
	res := &Result{Type: "matrix", Series: []Series{
		bucket("+Inf", 10, 20), bucket("0.5", 6, 12), bucket("0.1", 4, 5),
	}}
	fr, err := buildFrames(res, query.FormatHeatmap, "", "x")
	if err != nil {
		t.Fatal(err)
	}
	f := fr[0]
	var names []string
	for _, fl := range f.Fields[1:] {
		names = append(names, fl.Name)
	}
	if strings.Join(names, ",") != "0.1,0.5,+Inf" {
		t.Fatalf("buckets %v", names)
	}
	want := [][]float64{{4, 5}, {2, 7}, {4, 8}}
	for b, w := range want {
		for i, v := range w {
			if got, _ := f.Fields[b+1].FloatAt(i); got != v {
				t.Errorf("bucket %s at %d = %v, want %v", names[b], i, got, v)
			}
		}
	}
	if _, err := buildFrames(&Result{Type: "matrix", Series: []Series{{Labels: data.Labels{"job": "x"}, Times: at(1), Values: []float64{1}}}}, query.FormatHeatmap, "", "x"); err == nil || !strings.Contains(err.Error(), "no le label") {
		t.Errorf("heatmap of a gauge: %v", err)
	}
}

func TestNativeHistogramCells(t *testing.T) {
	res := &Result{Type: "matrix", Series: []Series{{
		Labels:     data.Labels{"job": "demo"},
		HistTimes:  at(1),
		Histograms: []Histogram{{Count: 3, Sum: 1, Buckets: []Bucket{{Lower: 0, Upper: 0.5, Count: 1}, {Lower: 0.5, Upper: 1, Count: 2}}}},
	}}}
	fr, err := buildFrames(res, query.FormatHeatmap, "", "x")
	if err != nil || len(fr) != 1 || fr[0].Meta.Type != frameTypeHeatmapCells || fr[0].Rows() != 2 {
		t.Fatalf("frames %v, %v", fr, err)
	}
}

// Frames keep their values when the decoded chunks are released and reused by the next
// decode.
func TestFramesOutliveRelease(t *testing.T) {
	start := time.Unix(1_764_000_000, 0)
	a, err := Decode(matrixBody(3, 1000, start, time.Second), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	fr, err := buildFrames(a, query.FormatTimeSeries, "", "x")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fr[2].Fields[1].FloatAt(999)
	wantT := fr[2].Fields[0].At(999).(time.Time)
	a.Release()
	for range 3 {
		b, err := Decode(matrixBody(3, 1000, start.Add(time.Hour), 2*time.Second), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
	if got, _ := fr[2].Fields[1].FloatAt(999); got != want || !fr[2].Fields[0].At(999).(time.Time).Equal(wantT) {
		t.Errorf("frame changed after release: %v at %v", got, fr[2].Fields[0].At(999))
	}
}
