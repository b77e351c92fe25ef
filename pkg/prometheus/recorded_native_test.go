package prometheus

import (
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/query"
)

// The answers of testdata/prometheus-3.16 were recorded from Prometheus 3.16 scraping
// native histograms (e2e TestNativeHistograms -record): the request latency of two routes
// (positive buckets), a clock offset (negative, zero and positive buckets), and a series
// that is a histogram at some steps and a float at others.

// recordedFrames decodes a recorded answer as a query in format does (the multi formats
// take the series as they are decoded) and builds its frames with the legend {{http.route}}.
func recordedFrames(t *testing.T, name string, format query.Format) data.Frames {
	t.Helper()
	body, err := os.ReadFile("testdata/prometheus-3.16/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	multi := newMultiFrames(format, "{{http.route}}")
	var sink seriesSink
	if multi != nil {
		sink = multi
	}
	res, err := decode(body, Limits{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := buildFrames(res, format, multi, "x")
	res.Release()
	if err != nil {
		t.Fatalf("%s as %s: %v", name, format, err)
	}
	return fr
}

// recordedHistograms are the native histogram samples of a recorded answer, by series
// name.
func recordedHistograms(t *testing.T, name string) map[string]Series {
	t.Helper()
	body, err := os.ReadFile("testdata/prometheus-3.16/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Decode(body, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Series{}
	for _, s := range res.Series {
		out[seriesName(s.Labels)] = s
	}
	return out
}

// cellsAt sums a heatmap-cells frame's counts by time, and lists its yLayout values.
func cellsAt(t *testing.T, f *data.Frame) (map[time.Time]float64, []int8) {
	t.Helper()
	if f.Meta.Type != frameTypeHeatmapCells {
		t.Fatalf("frame type %s, want heatmap-cells", f.Meta.Type)
	}
	var names []string
	for _, fl := range f.Fields {
		names = append(names, fl.Name)
	}
	if strings.Join(names, ",") != "xMax,yMin,yMax,count,yLayout" {
		t.Fatalf("fields %v, want xMax, yMin, yMax, count, yLayout", names)
	}
	sums := map[time.Time]float64{}
	var layouts []int8
	for i := range f.Rows() {
		x := f.Fields[0].At(i).(time.Time)
		sums[x] += f.Fields[3].At(i).(float64)
		if l := f.Fields[4].At(i).(int8); !slices.Contains(layouts, l) {
			layouts = append(layouts, l)
		}
	}
	slices.Sort(layouts)
	return sums, layouts
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// Each format shows the same histograms: the cells of a sample add up to its count, which
// time_series and table give as they are.
func TestRecordedNativeHistogramFormats(t *testing.T) {
	hists := recordedHistograms(t, "range-native")
	if len(hists) != 2 {
		t.Fatalf("%d recorded series, want 2 routes", len(hists))
	}
	heat := recordedFrames(t, "range-native", query.FormatHeatmap)
	if len(heat) != 2 {
		t.Fatalf("heatmap: %d frames, want one per route", len(heat))
	}
	for _, f := range heat {
		s := hists[seriesName(f.Fields[2].Labels)]
		sums, layouts := cellsAt(t, f)
		if !slices.Equal(layouts, []int8{0}) {
			t.Errorf("latency layouts %v, want (yMin,yMax] only", layouts)
		}
		if len(sums) != len(s.Histograms) {
			t.Errorf("%v: cells at %d times, want %d samples", f.Fields[2].Labels, len(sums), len(s.Histograms))
		}
		for i, h := range s.Histograms {
			if got := sums[s.HistTimes[i]]; !near(got, h.Count) {
				t.Errorf("%v at %v: cells add up to %v, the histogram's count is %v", f.Fields[2].Labels, s.HistTimes[i], got, h.Count)
			}
		}
	}

	series := recordedFrames(t, "range-native", query.FormatTimeSeries)
	var names []string
	for _, f := range series {
		v := f.Fields[1]
		names = append(names, v.Config.DisplayNameFromDS)
		s := hists[seriesName(v.Labels)]
		if f.Rows() != len(s.Histograms) || f.Meta.Type != data.FrameTypeTimeSeriesMulti {
			t.Fatalf("%s: %d rows of %s, want %d", v.Config.DisplayNameFromDS, f.Rows(), f.Meta.Type, len(s.Histograms))
		}
		for i, h := range s.Histograms {
			want := map[string]float64{"count": h.Count, "sum": h.Sum}[v.Name]
			if got, _ := v.FloatAt(i); got != want || !f.Fields[0].At(i).(time.Time).Equal(s.HistTimes[i]) {
				t.Errorf("%s at %d: %v, want %v", v.Config.DisplayNameFromDS, i, got, want)
			}
		}
		if !hasNoticeText(f, "native histograms (2 series)", "count and the sum") {
			t.Errorf("notices %+v", f.Meta.Notices)
		}
	}
	slices.Sort(names)
	if want := []string{"/api/cart count", "/api/cart sum", "/api/checkout count", "/api/checkout sum"}; !slices.Equal(names, want) {
		t.Errorf("time series %q, want %q", names, want)
	}

	table := recordedFrames(t, "range-native", query.FormatTable)[0]
	count, _ := table.FieldByName("count")
	value, _ := table.FieldByName(data.TimeSeriesValueFieldName)
	route, _ := table.FieldByName("http.route")
	if count == nil || value == nil || route == nil || table.Rows() != 22 {
		t.Fatalf("table %v, want 22 rows with http.route, Value, count and sum", table.Fields)
	}
	total := map[string]float64{}
	for i := range table.Rows() {
		if _, ok := value.ConcreteAt(i); ok {
			t.Errorf("row %d has a Value: a histogram sample has none", i)
		}
		c, _ := count.ConcreteAt(i)
		total[route.At(i).(string)] += c.(float64)
	}
	for name, s := range hists {
		var want float64
		for _, h := range s.Histograms {
			want += h.Count
		}
		if r := s.Labels["http.route"]; !near(total[r], want) {
			t.Errorf("%s: table counts add up to %v, want %v", name, total[r], want)
		}
	}
	if !hasNoticeText(table, "columns count and sum") {
		t.Errorf("table notices %+v", table.Meta.Notices)
	}
}

// Negative buckets are closed below (layout 1), the zero bucket on both sides (3).
func TestRecordedNativeHistogramNegativeAndZeroBuckets(t *testing.T) {
	heat := recordedFrames(t, "range-offset", query.FormatHeatmap)
	if len(heat) != 1 {
		t.Fatalf("%d frames", len(heat))
	}
	f := heat[0]
	if _, layouts := cellsAt(t, f); !slices.Equal(layouts, []int8{0, 1, 3}) {
		t.Fatalf("layouts %v, want 0, 1 and 3", layouts)
	}
	for i := range f.Rows() {
		lo, hi := f.Fields[1].At(i).(float64), f.Fields[2].At(i).(float64)
		switch f.Fields[4].At(i).(int8) {
		case 0:
			if lo < 0 {
				t.Errorf("positive bucket (%v,%v]", lo, hi)
			}
		case 1:
			if hi > 0 {
				t.Errorf("negative bucket [%v,%v)", lo, hi)
			}
		case 3:
			if !(lo < 0 && hi > 0 && lo == -hi) {
				t.Errorf("zero bucket [%v,%v]", lo, hi)
			}
		}
	}
}

// A series that is a histogram at some steps and a float at others: the heatmap shows
// the histograms and names the floats it leaves out; time_series gives the floats and the
// histograms' count and sum; the table has a row per sample.
func TestRecordedMixedSeries(t *testing.T) {
	s := recordedHistograms(t, "range-mixed")[`{"http.route"="/api/cart"}`]
	if len(s.Values) == 0 || len(s.Histograms) == 0 {
		t.Fatalf("recorded series has %d floats and %d histograms, want both", len(s.Values), len(s.Histograms))
	}
	heat := recordedFrames(t, "range-mixed", query.FormatHeatmap)
	if len(heat) != 1 {
		t.Fatalf("heatmap: %d frames, want the cells of the one series", len(heat))
	}
	if sums, _ := cellsAt(t, heat[0]); len(sums) != len(s.Histograms) {
		t.Errorf("cells at %d times, want %d", len(sums), len(s.Histograms))
	}
	if !hasNoticeText(heat[0], `{"http.route"="/api/cart"} (6 float samples)`, "left out") {
		t.Errorf("heatmap notices %+v", heat[0].Meta.Notices)
	}

	series := recordedFrames(t, "range-mixed", query.FormatTimeSeries)
	rows := map[string]int{}
	for _, f := range series {
		rows[f.Fields[1].Config.DisplayNameFromDS] = f.Rows()
	}
	if want := map[string]int{"/api/cart": len(s.Values), "/api/cart count": len(s.Histograms), "/api/cart sum": len(s.Histograms)}; !maps.Equal(rows, want) {
		t.Errorf("time series rows %v, want %v", rows, want)
	}

	table := recordedFrames(t, "range-mixed", query.FormatTable)[0]
	value, _ := table.FieldByName(data.TimeSeriesValueFieldName)
	count, _ := table.FieldByName("count")
	floats, hists := 0, 0
	for i := range table.Rows() {
		_, v := value.ConcreteAt(i)
		_, c := count.ConcreteAt(i)
		if v == c {
			t.Errorf("row %d: a Value and a count both %v", i, v)
		}
		if v {
			floats++
		} else {
			hists++
		}
		if i > 0 && table.Fields[0].At(i).(time.Time).Before(table.Fields[0].At(i-1).(time.Time)) {
			t.Errorf("row %d out of time order", i)
		}
	}
	if floats != len(s.Values) || hists != len(s.Histograms) {
		t.Errorf("table: %d float rows and %d histogram rows, want %d and %d", floats, hists, len(s.Values), len(s.Histograms))
	}
}

func hasNoticeText(f *data.Frame, subs ...string) bool {
	for _, n := range f.Meta.Notices {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(n.Text, s)
		}
		if ok {
			return true
		}
	}
	return false
}
