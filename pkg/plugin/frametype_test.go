package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/goexpvar"
)

// Every frame says its data-plane type, so that panels and alert rules read it without
// guessing: variables are tables, the Live frame a wide time series, and an expvar query
// without matches answers one empty frame of its mode's type.
func TestFrameTypes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(smallDoc)) }))
	defer srv.Close()
	jd, _ := json.Marshal(map[string]any{"expvarTargets": []goexpvar.Target{{Name: "app", URL: srv.URL + "/debug/vars", Instance: "app:1"}}, "expvarPollInterval": "1h"})
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{URL: "http://127.0.0.1:1", JSONData: jd})
	if err != nil {
		t.Fatal(err)
	}
	d := inst.(*Datasource)
	defer d.Dispose()
	tr := backend.TimeRange{From: time.Now().Add(-time.Hour), To: time.Now()}
	one := func(typ, model string) data.Frames {
		t.Helper()
		res := d.perQuery(func(ctx context.Context, q backend.DataQuery) backend.DataResponse {
			if typ == "variable" {
				return d.queryVariable(ctx, q)
			}
			return d.queryExpvar(ctx, q)
		})
		out, err := res(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{{RefID: "A", QueryType: typ, TimeRange: tr, JSON: json.RawMessage(model)}}})
		if err != nil || out.Responses["A"].Error != nil {
			t.Fatalf("%s %s: %v %v", typ, model, err, out.Responses["A"].Error)
		}
		return out.Responses["A"].Frames
	}
	cases := []struct {
		name    string
		frames  data.Frames
		typ     data.FrameType
		version data.FrameTypeVersion
	}{
		{"variable", one("variable", `{"variableQuery":{"kind":"expvar_targets"}}`), data.FrameTypeTable, data.FrameTypeVersion{}},
		{"expvar latest, no match", one("expvar", `{"paths":["nothing.here"],"mode":"latest"}`), data.FrameTypeTable, data.FrameTypeVersion{}},
		{"expvar history, no match", one("expvar", `{"paths":["nothing.here"],"mode":"history"}`), data.FrameTypeTimeSeriesMulti, data.FrameTypeVersion{0, 1}},
		{"live", data.Frames{goexpvar.LiveFrame(d.expvar, goexpvar.Selection{Targets: d.expvar.Targets(), Patterns: []goexpvar.Pattern{mustPath(t, "goroutines")}}, time.Now())}, data.FrameTypeTimeSeriesWide, data.FrameTypeVersion{0, 1}},
	}
	for _, c := range cases {
		if len(c.frames) == 0 {
			t.Errorf("%s: no frame", c.name)
		}
		for _, f := range c.frames {
			if f.Meta == nil || f.Meta.Type != c.typ || f.Meta.TypeVersion != c.version {
				t.Errorf("%s: frame %q meta %+v, want type %s version %v", c.name, f.Name, f.Meta, c.typ, c.version)
			}
		}
	}
	if live := cases[3].frames[0]; len(live.Fields) != 2 || live.Fields[1].Labels["target"] != "app" {
		t.Errorf("live frame %v, want Time and the target's goroutines", live.Fields)
	}
}

func mustPath(t *testing.T, p string) goexpvar.Pattern {
	t.Helper()
	pat, err := goexpvar.ParsePath(p)
	if err != nil {
		t.Fatal(err)
	}
	return pat
}
