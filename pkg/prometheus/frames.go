package prometheus

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/promname"
	"github.com/gopulse/health/pkg/query"
)

// Data-plane types of Grafana's heatmap panel, which the SDK has no constants for.
const (
	frameTypeHeatmapRows  data.FrameType = "heatmap-rows"
	frameTypeHeatmapCells data.FrameType = "heatmap-cells"
)

var legendLabel = regexp.MustCompile(`\{\{\s*([^{}\s]+)\s*\}\}`)

// legend applies a legend format ("{{job}} {{instance}}") to a series' labels. An empty
// format gives the series in Prometheus notation: name{label="value", ...}.
func legend(format string, l data.Labels) string {
	if format == "" {
		return seriesName(l)
	}
	return legendLabel.ReplaceAllStringFunc(format, func(s string) string {
		return l[legendLabel.FindStringSubmatch(s)[1]]
	})
}

// seriesName writes a series in Prometheus notation: name{label="value", ...}, with UTF-8
// names quoted as Prometheus 3 writes them: {"app.orders_total", "order.status"="created"}.
func seriesName(l data.Labels) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	name := l["__name__"]
	inBraces := name != "" && !promname.ClassicMetric(name)
	if !inBraces {
		b.WriteString(name)
	}
	b.WriteByte('{')
	if inBraces {
		b.WriteString(strconv.Quote(name))
	}
	for i, k := range keys {
		if i > 0 || inBraces {
			b.WriteString(", ")
		}
		b.WriteString(promname.Label(k))
		b.WriteByte('=')
		b.WriteString(strconv.Quote(l[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// frameMeta is the metadata of every frame of one query: the data-plane type, the query
// as executed (for the query inspector) and Prometheus's warnings and infos as notices.
func frameMeta(kind data.FrameType, executed string, res *Result) *data.FrameMeta {
	meta := &data.FrameMeta{Type: kind, TypeVersion: data.FrameTypeVersion{0, 1}, ExecutedQueryString: executed}
	for _, w := range res.Warnings {
		meta.Notices = append(meta.Notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: w})
	}
	for _, i := range res.Infos {
		meta.Notices = append(meta.Notices, data.Notice{Severity: data.NoticeSeverityInfo, Text: i})
	}
	return meta
}

// buildFrames shapes a decoded answer as the query's format asks. multi, for the multi
// formats, holds the answer's series (taken while decoding, see seriesSink); table and
// heatmap read res.Series.
func buildFrames(res *Result, format query.Format, multi *multiFrames, executed string) (data.Frames, error) {
	switch res.Type {
	case "scalar":
		v := data.NewField(data.TimeSeriesValueFieldName, nil, []float64{res.Scalar})
		return data.Frames{data.NewFrame("", v).SetMeta(frameMeta(data.FrameTypeNumericMulti, executed, res))}, nil
	case "string":
		v := data.NewField(data.TimeSeriesValueFieldName, nil, []string{res.String})
		return data.Frames{data.NewFrame("", v).SetMeta(frameMeta(data.FrameTypeTable, executed, res))}, nil
	case "matrix", "vector":
	default:
		return nil, fmt.Errorf("unknown result type %q", res.Type)
	}
	switch format {
	case query.FormatTable:
		return tableFrames(res, res.Type == "matrix", executed), nil
	case query.FormatHeatmap:
		return heatmapFrames(res, executed)
	}
	return multi.result(res, executed), nil
}

// multiFrames builds the frames of the multi formats one series at a time, as the decoder
// finishes each (it is a seriesSink): one frame per series (timeseries-multi for a matrix,
// numeric-multi for a vector) with a time field (time series only) and a "Value" field
// carrying the labels and the legend as its display name.
//
// The fields are made over the decoded vectors themselves (vectorField): the samples are
// written once, by the decoder, and take 32 bytes each (a time.Time and a float64).
type multiFrames struct {
	legendFormat string
	frames       data.Frames
	// histograms counts the series with native histogram samples, for the notice.
	histograms int
}

// newMultiFrames returns the builder for a multi format, nil for table and heatmap.
func newMultiFrames(format query.Format, legendFormat string) *multiFrames {
	if format == query.FormatTable || format == query.FormatHeatmap {
		return nil
	}
	return &multiFrames{legendFormat: legendFormat}
}

func (m *multiFrames) add(typ string, s *Series) {
	if len(s.Values) > 0 || len(s.Histograms) == 0 {
		m.frames = append(m.frames, m.floatFrame(typ == "matrix", s))
	}
	if len(s.Histograms) > 0 {
		m.histograms++
		m.frames = append(m.frames, m.histogramFrames(typ == "matrix", s)...)
	}
}

func (m *multiFrames) reset() {
	clear(m.frames)
	m.frames = m.frames[:0]
	m.histograms = 0
}

// histogramFrames are the frames of a series' native histogram samples: their count and
// their sum, as two series named count and sum (histogram_count and histogram_sum of
// each sample), with the series' labels and the legend followed by " count" or " sum".
func (m *multiFrames) histogramFrames(withTime bool, s *Series) data.Frames {
	count, sum := histogramStats(s.Histograms)
	display := legend(m.legendFormat, s.Labels)
	out := make(data.Frames, 0, 2)
	for _, st := range []struct {
		name   string
		values []float64
	}{{"count", count}, {"sum", sum}} {
		value := data.NewField(st.name, s.Labels, st.values)
		value.Config = &data.FieldConfig{DisplayNameFromDS: display + " " + st.name}
		f := data.NewFrame("", value)
		if withTime {
			f.Fields = append(data.Fields{data.NewField(data.TimeSeriesTimeFieldName, nil, s.HistTimes)}, f.Fields...)
		}
		out = append(out, f)
	}
	return out
}

// histogramStats are the count and the sum of each native histogram sample.
func histogramStats(hs []Histogram) (count, sum []float64) {
	count, sum = make([]float64, len(hs)), make([]float64, len(hs))
	for i, h := range hs {
		count[i], sum[i] = h.Count, h.Sum
	}
	return count, sum
}

// histogramNotice says how a format shows native histograms, when the answer has any.
func histogramNotice(meta *data.FrameMeta, series int, shown string) {
	if series == 0 {
		return
	}
	meta.Notices = append(meta.Notices, data.Notice{Severity: data.NoticeSeverityInfo, Text: fmt.Sprintf(
		"native histograms (%d series): %s. The heatmap format shows their buckets; histogram_quantile(0.99, ...) their quantiles", series, shown)})
}

// floatFrame is the frame of a series' float samples.
func (m *multiFrames) floatFrame(withTime bool, s *Series) *data.Frame {
	value := vectorField(data.TimeSeriesValueFieldName, s.Labels, s.Values)
	value.Config = &data.FieldConfig{DisplayNameFromDS: legend(m.legendFormat, s.Labels)}
	if !withTime {
		return data.NewFrame("", value)
	}
	return data.NewFrame("", vectorField(data.TimeSeriesTimeFieldName, nil, s.Times), value)
}

// result types the frames and gives them the answer's notices. No series gives one typed
// frame without fields.
func (m *multiFrames) result(res *Result, executed string) data.Frames {
	kind := data.FrameTypeNumericMulti
	if res.Type == "matrix" {
		kind = data.FrameTypeTimeSeriesMulti
	}
	meta := frameMeta(kind, executed, res)
	histogramNotice(meta, m.histograms, "each is shown as two series, the count and the sum of its observations (fields count and sum)")
	if len(m.frames) == 0 {
		return data.Frames{data.NewFrame("").SetMeta(meta)}
	}
	for _, f := range m.frames {
		f.SetMeta(meta)
	}
	return m.frames
}

// tableFrames makes one long frame: a time column (range queries), one string column per
// label name, and Value; rows sorted by time (timeseries-long) or one row per series
// (numeric-long). When the answer has native histograms, their samples are rows too,
// with the histogram's count and sum in columns of their own (Value is null there, and
// count and sum are null on the rows of float samples).
func tableFrames(res *Result, matrix bool, executed string) data.Frames {
	names := labelNames(res.Series)
	rows, histograms := 0, 0
	for _, s := range res.Series {
		rows += len(s.Values) + len(s.Histograms)
		if len(s.Histograms) > 0 {
			histograms++
		}
	}
	type row struct {
		t      time.Time
		series int
		point  int
		hist   bool
	}
	order := make([]row, 0, rows)
	for si, s := range res.Series {
		for pi := range s.Values {
			order = append(order, row{s.Times[pi], si, pi, false})
		}
		for pi := range s.Histograms {
			order = append(order, row{s.HistTimes[pi], si, pi, true})
		}
	}
	if matrix {
		slices.SortStableFunc(order, func(a, b row) int { return a.t.Compare(b.t) })
	}
	times := make([]time.Time, len(order))
	cols := make([][]string, len(names))
	for i := range cols {
		cols[i] = make([]string, len(order))
	}
	for i, r := range order {
		times[i] = r.t
		for c, n := range names {
			cols[c][i] = res.Series[r.series].Labels[n]
		}
	}
	f := data.NewFrame("")
	kind := data.FrameTypeNumericLong
	if matrix {
		kind = data.FrameTypeTimeSeriesLong
		f.Fields = append(f.Fields, data.NewField(data.TimeSeriesTimeFieldName, nil, times))
	}
	for c, n := range names {
		f.Fields = append(f.Fields, data.NewField(n, nil, cols[c]))
	}
	if histograms == 0 {
		values := make([]float64, len(order))
		for i, r := range order {
			values[i] = res.Series[r.series].Values[r.point]
		}
		f.Fields = append(f.Fields, data.NewField(data.TimeSeriesValueFieldName, nil, values))
		return data.Frames{f.SetMeta(frameMeta(kind, executed, res))}
	}
	values, count, sum := make([]*float64, len(order)), make([]*float64, len(order)), make([]*float64, len(order))
	for i, r := range order {
		s := res.Series[r.series]
		// Copies: the decoded samples go back to their pools once the frames are built.
		if r.hist {
			h := s.Histograms[r.point]
			count[i], sum[i] = &h.Count, &h.Sum
		} else {
			v := s.Values[r.point]
			values[i] = &v
		}
	}
	f.Fields = append(f.Fields, data.NewField(data.TimeSeriesValueFieldName, nil, values),
		data.NewField("count", nil, count), data.NewField("sum", nil, sum))
	meta := frameMeta(kind, executed, res)
	histogramNotice(meta, histograms, "their samples are rows with the count and the sum of their observations (columns count and sum)")
	return data.Frames{f.SetMeta(meta)}
}

func labelNames(series []Series) []string {
	seen := map[string]bool{}
	for _, s := range series {
		for k := range s.Labels {
			seen[k] = true
		}
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// heatmapFrames shapes histogram series for Grafana's heatmap panel: classic buckets
// (series with an `le` label) become heatmap-rows frames, one per label set without `le`,
// with one field per bucket sorted by bound and counts de-cumulated; native histograms
// become heatmap-cells frames.
//
// A series with native histograms and float samples (its type changed within the range)
// gives the cells of its histograms; its float samples, which have no buckets, are left
// out with a notice.
func heatmapFrames(res *Result, executed string) (data.Frames, error) {
	var out data.Frames
	groups := map[string][]Series{}
	var keys, mixed []string
	for _, s := range res.Series {
		_, classic := s.Labels["le"]
		if len(s.Histograms) > 0 {
			out = append(out, cellsFrame(s, res, executed))
			if len(s.Values) > 0 && !classic {
				mixed = append(mixed, fmt.Sprintf("%s (%d float samples)", seriesName(s.Labels), len(s.Values)))
				continue
			}
		}
		if len(s.Values) == 0 {
			continue
		}
		if !classic {
			return nil, fmt.Errorf("series %s has no le label: the heatmap format needs classic histogram buckets (rate(x_bucket[...])) or native histograms", seriesName(s.Labels))
		}
		key := seriesName(WithoutLabel(s.Labels, "le"))
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], s)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f, err := rowsFrame(groups[k], res, executed)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return data.Frames{data.NewFrame("").SetMeta(frameMeta(frameTypeHeatmapRows, executed, res))}, nil
	}
	if len(mixed) > 0 {
		out[0].Meta.Notices = append(out[0].Meta.Notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
			"float samples left out of the heatmap: %s: these series changed from floats to native histograms within the range, and only the histograms have buckets", strings.Join(mixed, ", "))})
	}
	return out, nil
}

// WithoutLabel is a copy of l without the label name (le, quantile: a bucket's or a
// quantile's series as the series of their histogram or summary).
func WithoutLabel(l data.Labels, name string) data.Labels {
	out := make(data.Labels, len(l))
	for k, v := range l {
		if k != name {
			out[k] = v
		}
	}
	return out
}

// rowsFrame builds one heatmap-rows frame from the buckets of one histogram.
func rowsFrame(buckets []Series, res *Result, executed string) (*data.Frame, error) {
	type bucket struct {
		le float64
		s  Series
	}
	bs := make([]bucket, len(buckets))
	for i, s := range buckets {
		le, err := strconv.ParseFloat(s.Labels["le"], 64)
		if err != nil {
			return nil, fmt.Errorf("bucket bound le=%q is not a number", s.Labels["le"])
		}
		bs[i] = bucket{le, s}
	}
	slices.SortFunc(bs, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	// All buckets on one time axis: the union of their timestamps.
	var axis []time.Time
	for _, b := range bs {
		axis = append(axis, b.s.Times...)
	}
	slices.SortFunc(axis, time.Time.Compare)
	axis = slices.CompactFunc(axis, time.Time.Equal)
	index := make(map[int64]int, len(axis))
	for i, t := range axis {
		index[t.UnixNano()] = i
	}
	f := data.NewFrame("", data.NewField("Time", nil, axis))
	prev := make([]float64, len(axis))
	for _, b := range bs {
		cum := make([]float64, len(axis))
		for i, t := range b.s.Times {
			cum[index[t.UnixNano()]] = b.s.Values[i]
		}
		counts := make([]float64, len(axis))
		for i := range cum {
			counts[i] = math.Max(cum[i]-prev[i], 0) // buckets are cumulative
		}
		prev = cum
		name := strconv.FormatFloat(b.le, 'g', -1, 64)
		field := data.NewField(name, WithoutLabel(b.s.Labels, "le"), counts)
		field.Config = &data.FieldConfig{DisplayNameFromDS: name}
		f.Fields = append(f.Fields, field)
	}
	return f.SetMeta(frameMeta(frameTypeHeatmapRows, executed, res)), nil
}

// cellsFrame builds a heatmap-cells frame from a native histogram series: one row per
// bucket per sample, as Grafana's Prometheus data source shapes it: xMax (the sample's
// time), yMin and yMax (the bucket's bounds; yMax carries the series' labels), count, and
// yLayout, the bucket's boundary kind as the Prometheus API gives it (0: (yMin,yMax],
// 1: [yMin,yMax), 2: (yMin,yMax), 3: [yMin,yMax]), which tells negative buckets (closed
// below) and the zero bucket (closed on both sides) from the positive ones.
func cellsFrame(s Series, res *Result, executed string) *data.Frame {
	n := 0
	for _, h := range s.Histograms {
		n += len(h.Buckets)
	}
	xMax := make([]time.Time, 0, n)
	yMin, yMax, count := make([]float64, 0, n), make([]float64, 0, n), make([]float64, 0, n)
	yLayout := make([]int8, 0, n)
	for i, h := range s.Histograms {
		for _, b := range h.Buckets {
			xMax = append(xMax, s.HistTimes[i])
			yMin = append(yMin, b.Lower)
			yMax = append(yMax, b.Upper)
			count = append(count, b.Count)
			yLayout = append(yLayout, int8(b.Boundaries))
		}
	}
	f := data.NewFrame("",
		data.NewField("xMax", nil, xMax),
		data.NewField("yMin", nil, yMin),
		data.NewField("yMax", s.Labels, yMax),
		data.NewField("count", nil, count),
		data.NewField("yLayout", nil, yLayout),
	)
	return f.SetMeta(frameMeta(frameTypeHeatmapCells, executed, res))
}

// executedRange describes a query for the query inspector.
func executed(expr string, step time.Duration, start, end time.Time) string {
	if step == 0 {
		return fmt.Sprintf("Expr: %s\nTime: %s", expr, end.Format(time.RFC3339))
	}
	return fmt.Sprintf("Expr: %s\nStep: %s\nStart: %s\nEnd: %s", expr, step, start.Format(time.RFC3339), end.Format(time.RFC3339))
}
