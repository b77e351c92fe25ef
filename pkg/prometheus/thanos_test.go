package prometheus

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"
)

// thanosQuery answers as the recorded Thanos Query did (testdata/thanos-0.42.5: Thanos
// Query over the sidecars of two Prometheus replicas scraping the demo and an
// Alertmanager, deduplicating over the label replica), each answer's data passed through
// edit (may be nil).
func thanosQuery(t *testing.T, edit func(name string, data any) any) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := map[string]string{
			"/api/v1/status/buildinfo": "buildinfo", "/api/v1/status/flags": "flags",
			"/api/v1/query": "query-scalar", "/api/v1/metadata": "metadata",
		}[r.URL.Path]
		if name == "" {
			http.NotFound(w, r)
			return
		}
		body, err := os.ReadFile("testdata/thanos-0.42.5/" + name + ".json")
		if err != nil {
			t.Error(err)
			http.Error(w, err.Error(), 500)
			return
		}
		if edit != nil {
			var answer map[string]any
			if err := json.Unmarshal(body, &answer); err != nil {
				t.Error(err)
			}
			answer["data"] = edit(name, answer["data"])
			body, _ = json.Marshal(answer)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	base, _ := url.Parse(srv.URL)
	hc := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	c, err := New(base, hc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// flagsEdit changes Thanos's replica-label flag (delete when value is nil).
func flagsEdit(value *string) func(string, any) any {
	return func(name string, data any) any {
		flags, _ := data.(map[string]any)
		if name == "flags" {
			if value == nil {
				delete(flags, thanosReplicaFlag)
			} else {
				flags[thanosReplicaFlag] = *value
			}
		}
		return data
	}
}

func ptr(s string) *string { return &s }

// Thanos Query answers build info as Prometheus does, with its own version: Save & test
// names it from its flags, with the labels it deduplicates over.
func TestCheckNamesThanosQuery(t *testing.T) {
	for _, c := range []struct {
		name   string
		edit   func(string, any) any
		want   Info
		String string
	}{
		{"recorded", nil, Info{Engine: ThanosQuery, Version: "0.42.5", ReplicaLabels: []string{"replica"}},
			"Thanos Query 0.42.5 (deduplicating over replica)"},
		{"two replica labels", flagsEdit(ptr("replica,rule_replica")),
			Info{Engine: ThanosQuery, Version: "0.42.5", ReplicaLabels: []string{"replica", "rule_replica"}},
			"Thanos Query 0.42.5 (deduplicating over replica, rule_replica)"},
		{"no deduplication", flagsEdit(ptr("")), Info{Engine: ThanosQuery, Version: "0.42.5"}, "Thanos Query 0.42.5"},
		{"flags without Thanos's", flagsEdit(nil), Info{Version: "0.42.5"}, "Prometheus 0.42.5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			info, err := thanosQuery(t, c.edit).Check(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if info.Engine != c.want.Engine || info.Version != c.want.Version || !slices.Equal(info.ReplicaLabels, c.want.ReplicaLabels) || info.String() != c.String {
				t.Errorf("check: %+v %q, want %+v %q", info, info, c.want, c.String)
			}
		})
	}
}

// Thanos Query lists the metadata of a metric from every endpoint: the demo's and the
// Alertmanager's go_memstats_heap_objects have different help texts, in an order that
// is not Prometheus's. The metadata read is the same in any order.
func TestMetadataInAnyOrder(t *testing.T) {
	reversed := func(name string, data any) any {
		if name == "metadata" {
			for _, list := range data.(map[string]any) {
				slices.Reverse(list.([]any))
			}
		}
		return data
	}
	ctx := context.Background()
	got, _, err := thanosQuery(t, nil).Metadata(ctx, "go_memstats_heap_objects")
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := thanosQuery(t, reversed).Metadata(ctx, "go_memstats_heap_objects")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Type != "gauge" || got[0].Help == "" || !slices.Equal(got, again) {
		t.Errorf("metadata %+v, in reverse order %+v: want one gauge, the same", got, again)
	}
}
