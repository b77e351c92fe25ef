package query

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"":      0,
		"15s":   15 * time.Second,
		"1m30s": 90 * time.Second,
		"2h":    2 * time.Hour,
		"1d":    24 * time.Hour,
		"30":    30 * time.Second,
		"0.5":   500 * time.Millisecond,
		" 10s ": 10 * time.Second,
		"250ms": 250 * time.Millisecond,
	}
	for in, want := range good {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"abc":  "not a duration",
		"10x":  "not a duration",
		"-5":   "must not be negative",
		"-1s":  "must not be negative",
		"1e12": "at most one year",
		"NaN":  "finite",
		"nan":  "finite",
		"Inf":  "finite",
		"+Inf": "finite",
		"-Inf": "finite",
	} {
		if d, err := ParseDuration(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want an error saying %q", in, d, err, want)
		}
	}
}

func TestParsePromQL(t *testing.T) {
	q, step, err := ParsePromQL([]byte(`{"expr":"  up ","legendFormat":"{{job}}","minStep":"30s","range":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if q.Expr != "up" || q.LegendFormat != "{{job}}" || step != 30*time.Second {
		t.Errorf("got %+v, step %v", q, step)
	}
	// A query saved by Grafana's Prometheus data source with exemplars off still runs.
	if _, _, err := ParsePromQL([]byte(`{"expr":"up","exemplar":false}`)); err != nil {
		t.Errorf("exemplar false: %v", err)
	}
	bad := map[string]string{
		`{"expr":""}`:                    "expr is empty",
		`{"expr":"up","minStep":"soon"}`: `minStep "soon"`,
		`{"expr":"up","minStep":"NaN"}`:  `minStep "NaN": must be a finite number`,
		`{"expr":"up","format":"csv"}`:   `format "csv" is unknown`,
		`{"expr":"up","range":false}`:    "neither range nor instant",
		`{"expr":"up","exemplar":true}`:  "exemplar is true: GoPulse does not read exemplars",
		`{"expr":1}`:                     "invalid query model",
		`not json`:                       "invalid query model",
	}
	for in, want := range bad {
		if _, _, err := ParsePromQL([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePromQL(%s) error = %v, want it to contain %q", in, err, want)
		}
	}
}

func TestParseOtherModels(t *testing.T) {
	rt, err := ParseRuntime([]byte(`{"signal":"goroutines","job":"demo"}`))
	if err != nil || rt.Source != SourceAuto || rt.Job != "demo" {
		t.Errorf("runtime %+v, %v", rt, err)
	}
	v, err := ParseVariable([]byte(`{"variableQuery":{"kind":"label_values","label":"job","match":"up"}}`))
	if err != nil || v.Kind != VariableLabelValues || v.Label != "job" {
		t.Errorf("variable %+v, %v", v, err)
	}
	bad := []struct {
		parse func([]byte) error
		in    string
		want  string
	}{
		{runtimeErr, `{"signal":""}`, "signal is empty"},
		{runtimeErr, `{"signal":"goroutines","source":"pprof"}`, `source "pprof" is unknown`},
		{businessErr, `{"metric":" "}`, "metric is empty"},
		{businessErr, `{"metric":"x","quantiles":"p99"}`, "invalid query model"},
		{variableErr, `{}`, "variableQuery is missing"},
		{variableErr, `{"variableQuery":{"kind":"label_values"}}`, "label is empty"},
		{variableErr, `{"variableQuery":{"kind":"query_result"}}`, "expr is empty"},
		{variableErr, `{"variableQuery":{"kind":"series"}}`, `variable kind "series" is unknown`},
	}
	for _, c := range bad {
		if err := c.parse([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.in, err, c.want)
		}
	}
}

func runtimeErr(b []byte) error  { _, err := ParseRuntime(b); return err }
func businessErr(b []byte) error { _, err := ParseBusiness(b); return err }
func variableErr(b []byte) error { _, err := ParseVariable(b); return err }

func TestParseAlerts(t *testing.T) {
	q, err := ParseAlerts([]byte(`{"source":"prometheus","states":["firing"],"matchers":"job=\"demo\"","severities":["P0"],"format":"table"}`))
	if err != nil || q.States[0] != "firing" || q.Severities[0] != "P0" {
		t.Errorf("alerts %+v, %v", q, err)
	}
	for in, want := range map[string]string{
		`{"source":"alertmanager","format":"timeline"}`: "comes from Prometheus",
		`{"source":"loki"}`:                             `source "loki" is unknown`,
		`{"format":"heatmap"}`:                          `format "heatmap" is unknown`,
		`{"states":"firing"}`:                           "invalid query model",
	} {
		if _, err := ParseAlerts([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

func TestParseExpvar(t *testing.T) {
	q, err := ParseExpvar([]byte(`{"paths":["memstats.HeapAlloc"]}`))
	if err != nil || q.Mode != ExpvarLatest {
		t.Errorf("expvar %+v, %v", q, err)
	}
	for in, want := range map[string]string{
		`{}`:                             "paths is empty",
		`{"paths":["x"],"mode":"delta"}`: `mode "delta" is unknown`,
	} {
		if _, err := ParseExpvar([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

func TestParseHealth(t *testing.T) {
	q, err := ParseHealth([]byte(`{"job":"demo","thresholds":{"latency_p99":{"critical":1}}}`))
	if err != nil || q.Format != HealthTable || *q.Thresholds["latency_p99"].Critical != 1 || q.Thresholds["latency_p99"].Warning != nil {
		t.Errorf("defaults: %+v %v", q, err)
	}
	for raw, want := range map[string]string{
		`{"format":"graph"}`:       `format "graph" is unknown: use table, numeric or time_series`,
		`{"alertCritical":"high"}`: `alertCritical: "high" is not a P-level: use P0 (most urgent) to P9`,
		`{"thresholds":{"x":"1"}}`: "invalid query model",
		`{"alertCritical":"P10"}`:  `alertCritical: "P10" is not a P-level`,
		`{"instance":1}`:           "invalid query model",
	} {
		if _, err := ParseHealth([]byte(raw)); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %s", raw, err, want)
		}
	}
}
