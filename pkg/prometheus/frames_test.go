package prometheus

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

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
	// UTF-8 names (Prometheus 3): legends name them as they are; the default legend
	// quotes them as Prometheus 3 writes a series.
	otel := data.Labels{"__name__": "app.orders_total", "order.status": "created", "job": "checkout"}
	for in, want := range map[string]string{
		"{{order.status}} ({{ job }})": "created (checkout)",
		"":                             `{"app.orders_total", job="checkout", "order.status"="created"}`,
	} {
		if got := legend(in, otel); got != want {
			t.Errorf("legend(%q) = %q, want %q", in, got, want)
		}
	}
	if got := legend("", data.Labels{"http.route": "/x"}); got != `{"http.route"="/x"}` {
		t.Errorf("default legend without a name: %s", got)
	}
}

func TestTableFramesSortsRowsByTime(t *testing.T) {
	res := &Result{Type: "matrix", Warnings: []string{"careful"}, Series: []Series{
		{Labels: data.Labels{"job": "a"}, Times: at(10, 20), Values: []float64{1, 2}},
		{Labels: data.Labels{"job": "b", "path": "/p"}, Times: at(15), Values: []float64{3}},
	}}
	fr, err := buildFrames(res, query.FormatTable, nil, "x")
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
	fr, err := buildFrames(res, query.FormatHeatmap, nil, "x")
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
	if _, err := buildFrames(&Result{Type: "matrix", Series: []Series{{Labels: data.Labels{"job": "x"}, Times: at(1), Values: []float64{1}}}}, query.FormatHeatmap, nil, "x"); err == nil || !strings.Contains(err.Error(), "no le label") {
		t.Errorf("heatmap of a gauge: %v", err)
	}
}

// Prometheus 3 stores le normalised ("1.0", "5.0"); the buckets keep the bounds' plain
// names, as Prometheus 2 wrote them.
func TestHeatmapNormalisedBounds(t *testing.T) {
	bucket := func(le string, v float64) Series {
		return Series{Labels: data.Labels{"le": le}, Times: at(1), Values: []float64{v}}
	}
	res := &Result{Type: "matrix", Series: []Series{bucket("5.0", 9), bucket("+Inf", 10), bucket("1.0", 2), bucket("0.5", 1)}}
	fr, err := buildFrames(res, query.FormatHeatmap, nil, "x")
	if err != nil || len(fr) != 1 {
		t.Fatal(fr, err)
	}
	var names []string
	var counts []float64
	for _, fl := range fr[0].Fields[1:] {
		names = append(names, fl.Name)
		v, _ := fl.FloatAt(0)
		counts = append(counts, v)
	}
	if strings.Join(names, ",") != "0.5,1,5,+Inf" || !slices.Equal(counts, []float64{1, 1, 7, 1}) {
		t.Errorf("buckets %v with counts %v, want 0.5,1,5,+Inf with 1,1,7,1", names, counts)
	}
}

func TestNativeHistogramCells(t *testing.T) {
	res := &Result{Type: "matrix", Series: []Series{{
		Labels:     data.Labels{"job": "demo"},
		HistTimes:  at(1),
		Histograms: []Histogram{{Count: 3, Sum: 1, Buckets: []Bucket{{Lower: 0, Upper: 0.5, Count: 1}, {Lower: 0.5, Upper: 1, Count: 2}}}},
	}}}
	fr, err := buildFrames(res, query.FormatHeatmap, nil, "x")
	if err != nil || len(fr) != 1 || fr[0].Meta.Type != frameTypeHeatmapCells || fr[0].Rows() != 2 {
		t.Fatalf("frames %v, %v", fr, err)
	}
}

// queryRange runs a range query through a client whose server answers body.
func queryRange(t *testing.T, body []byte, q Query) data.Frames {
	t.Helper()
	base, _ := url.Parse("http://prometheus.invalid:9090")
	c, err := New(base, &http.Client{Transport: bodyTransport(body)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1_764_000_000, 0)
	fr, err := c.QueryRange(context.Background(), q, v1.Range{Start: start, End: start.Add(time.Hour), Step: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

// The frames of a range query hold the decoded series, sample for sample, and keep them
// when later queries decode (their chunks are the frames', never reused).
func TestFramesHoldDecodedSeries(t *testing.T) {
	start := time.Unix(1_764_000_000, 0)
	body := matrixBody(3, 1000, start, time.Second)
	fr := queryRange(t, body, Query{Expr: "x", LegendFormat: "{{instance}}"})
	for range 3 {
		queryRange(t, matrixBody(3, 1000, start.Add(time.Hour), 2*time.Second), Query{Expr: "x"})
		if _, err := Decode(matrixBody(4, 2000, start, time.Minute), Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	want, err := Decode(body, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if late := queryRange(t, resultTypeLast(body), Query{Expr: "x"}); len(late) != len(want.Series) || late[2].Rows() != 1000 {
		t.Errorf("resultType after the result: %d frames", len(late))
	}
	if len(fr) != len(want.Series) {
		t.Fatalf("%d frames for %d series", len(fr), len(want.Series))
	}
	for i, s := range want.Series {
		f := fr[i]
		if f.Meta.Type != data.FrameTypeTimeSeriesMulti || f.Fields[1].Config.DisplayNameFromDS != s.Labels["instance"] || !reflect.DeepEqual(f.Fields[1].Labels, s.Labels) {
			t.Errorf("frame %d: meta %+v, field %+v", i, f.Meta, f.Fields[1])
		}
		if f.Rows() != len(s.Values) {
			t.Fatalf("frame %d: %d rows, want %d", i, f.Rows(), len(s.Values))
		}
		for p := range s.Values {
			v, _ := f.Fields[1].FloatAt(p)
			if tm := f.Fields[0].At(p).(time.Time); v != s.Values[p] || !tm.Equal(s.Times[p]) {
				t.Fatalf("frame %d point %d: %v at %v, want %v at %v", i, p, v, tm, s.Values[p], s.Times[p])
			}
		}
	}
}

// With the SDK in go.mod, a field made by vectorField is the decoded vector itself (no
// copy), and appending to it does not reach the samples after it (the next series').
// When an SDK update changes data.Field, this fails: vectorField then copies (check it
// still can do without).
func TestVectorFieldAdopts(t *testing.T) {
	v := []float64{1, 2, 3}
	f := vectorField("Value", data.Labels{"a": "b"}, v[:2:2])
	v[0] = 7
	if got, _ := f.FloatAt(0); got != 7 || f.Len() != 2 || f.Labels["a"] != "b" || f.Type() != data.FieldTypeFloat64 {
		t.Fatalf("field over the vector: first %v, len %d, labels %v, type %s", got, f.Len(), f.Labels, f.Type())
	}
	f.Append(9.0)
	if v[2] != 3 || f.Len() != 3 {
		t.Errorf("append reached past the field: %v", v)
	}
	ts := at(1, 2)
	tf := vectorField("Time", nil, ts[:1:1])
	ts[0] = time.Unix(5, 0).UTC()
	if tf.At(0).(time.Time).Unix() != 5 || tf.Type() != data.FieldTypeTime {
		t.Errorf("time field %v", tf.At(0))
	}
}
