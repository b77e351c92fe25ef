package prometheus

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

var legendLabel = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// legend applies a legend format ("{{job}} {{instance}}") to a series' labels. An empty
// format gives the series in Prometheus notation: name{label="value", ...}.
func legend(format string, m model.Metric) string {
	if format == "" {
		return m.String()
	}
	return legendLabel.ReplaceAllStringFunc(format, func(s string) string {
		name := legendLabel.FindStringSubmatch(s)[1]
		return string(m[model.LabelName(name)])
	})
}

// frameMeta is the metadata of every frame of one query: the data-plane type, the query
// as executed (for the query inspector) and Prometheus's warnings and infos as notices.
func frameMeta(kind data.FrameType, executed string, warnings v1.Warnings, infos v1.Infos) *data.FrameMeta {
	meta := &data.FrameMeta{Type: kind, TypeVersion: data.FrameTypeVersion{0, 1}, ExecutedQueryString: executed}
	for _, w := range warnings {
		meta.Notices = append(meta.Notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: w})
	}
	for _, i := range infos {
		meta.Notices = append(meta.Notices, data.Notice{Severity: data.NoticeSeverityInfo, Text: i})
	}
	return meta
}

// matrixFrames turns a range-query result into data-plane timeseries-multi frames: one
// frame per series, a time field and a "Value" field carrying the series' labels and the
// legend as its display name. No series gives one typed frame without fields.
func matrixFrames(m model.Matrix, legendFormat string, meta *data.FrameMeta) data.Frames {
	if len(m) == 0 {
		return data.Frames{data.NewFrame("").SetMeta(meta)}
	}
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
		value.Config = &data.FieldConfig{DisplayNameFromDS: legend(legendFormat, s.Metric)}
		frames = append(frames, data.NewFrame("", data.NewField(data.TimeSeriesTimeFieldName, nil, times), value).SetMeta(meta))
	}
	return frames
}

// executedRange describes a range query for the query inspector.
func executedRange(expr string, r v1.Range) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Expr: %s\nStep: %s\nStart: %s\nEnd: %s", expr, r.Step, r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339))
	return b.String()
}
