package telemetry

import (
	"context"
	"encoding/json"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/tracing"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Span attribute keys of a query's span.
const (
	AttrQueryType = attribute.Key("gopulse.query_type")
	AttrRefID     = attribute.Key("gopulse.ref_id")
	AttrFormat    = attribute.Key("gopulse.format")
	AttrFrames    = attribute.Key("gopulse.frames")
	AttrInstances = attribute.Key("gopulse.instances")
	AttrTargets   = attribute.Key("gopulse.targets")
)

// StartQuery starts the span of one query ("gopulse.query"), with its type, refId and
// format (an expvar query's mode, a variable query's kind). End it with EndQuery.
func StartQuery(ctx context.Context, q backend.DataQuery) (context.Context, trace.Span) {
	var m struct {
		Format   string `json:"format"`
		Mode     string `json:"mode"`
		Variable struct {
			Kind string `json:"kind"`
		} `json:"variableQuery"`
	}
	_ = json.Unmarshal(q.JSON, &m) // a query that does not parse says so in its answer
	format := m.Format
	for _, f := range []string{m.Mode, m.Variable.Kind} {
		if format == "" {
			format = f
		}
	}
	return tracing.DefaultTracer().Start(ctx, "gopulse.query", trace.WithAttributes(
		AttrQueryType.String(q.QueryType), AttrRefID.String(q.RefID), AttrFormat.String(format)))
}

// EndQuery records what the query answered and ends its span: how many frames, how
// many distinct instances (the values of instanceLabel as labels, or of a column named
// instance or instanceLabel) and expvar targets (likewise, "target") they cover, and the
// error (whose secrets the caller has masked).
func EndQuery(span trace.Span, res backend.DataResponse, instanceLabel string) {
	instances, targets := map[string]bool{}, map[string]bool{}
	for _, f := range res.Frames {
		for _, fl := range f.Fields {
			if v, ok := fl.Labels[instanceLabel]; ok {
				instances[v] = true
			}
			if v, ok := fl.Labels["target"]; ok {
				targets[v] = true
			}
			switch {
			case fl.Name == instanceLabel, fl.Name == "instance":
				addStrings(instances, fl)
			case fl.Name == "target":
				addStrings(targets, fl)
			}
		}
	}
	span.SetAttributes(AttrFrames.Int(len(res.Frames)), AttrInstances.Int(len(instances)), AttrTargets.Int(len(targets)))
	if res.Error != nil {
		span.SetStatus(codes.Error, res.Error.Error())
		span.RecordError(res.Error)
	}
	span.End()
}

func addStrings(set map[string]bool, f *data.Field) {
	if f.Type() != data.FieldTypeString {
		return
	}
	for i := range f.Len() {
		set[f.At(i).(string)] = true
	}
}
