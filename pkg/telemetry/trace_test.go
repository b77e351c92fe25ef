package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// A query's span carries its type, refId and format, the number of frames, of distinct
// instances (labels with the instance label, or an instance column) and of targets, and
// its error.
func TestQuerySpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp)))
	_, span := StartQuery(context.Background(), backend.DataQuery{RefID: "A", QueryType: "health", JSON: json.RawMessage(`{"format":"numeric"}`)})
	numeric := func(host string) *data.Frame {
		return data.NewFrame("", data.NewField("status", data.Labels{"host": host, "job": "api"}, []float64{0}))
	}
	table := data.NewFrame("health", data.NewField("instance", nil, []string{"c", "a"}), data.NewField("target", nil, []string{"t1", "t1"}))
	EndQuery(span, backend.DataResponse{
		Frames: data.Frames{numeric("a"), numeric("b"), table},
		Error:  errors.New("Prometheus: server error 502"),
	}, "host")

	got := exp.GetSpans().Snapshots()
	if len(got) != 1 {
		t.Fatalf("%d spans, want 1", len(got))
	}
	s := got[0]
	attrs := map[string]string{}
	for _, kv := range s.Attributes() {
		attrs[string(kv.Key)] = kv.Value.Emit()
	}
	want := map[string]string{
		"gopulse.query_type": "health", "gopulse.ref_id": "A", "gopulse.format": "numeric",
		"gopulse.frames": "3", "gopulse.instances": "3", "gopulse.targets": "1",
	}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("%s = %q, want %q", k, attrs[k], v)
		}
	}
	if s.Status().Code != codes.Error || s.Status().Description != "Prometheus: server error 502" {
		t.Errorf("status %+v", s.Status())
	}
}
