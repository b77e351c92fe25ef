package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/internal/frametest"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/goexpvar"
)

// goServersPoll is the poll interval of TestExpvarRealGoServers, and hungSpan the time
// over which it counts the polls of a healthy target beside a hung one.
const (
	goServersPoll    = time.Second
	goServersTimeout = 5 * time.Second
	hungSpan         = 60 * time.Second
)

// TestExpvarRealGoServers points an expvar-only data source (no Prometheus URL) at two
// third-party Go servers as Debian ships them, etcd and caddy, and at a listener that
// never answers, through the built plugin binary: Save & test reports each target; the
// flattened variables are those of the document; quoted keys, wildcards and the hints of
// paths that match nothing work on their real documents; the healthy targets keep their
// schedule beside the hung one; every runtime signal answers or says why; a health
// query answers; and a target killed and restarted is shown down (no values in latest,
// nulls in Live, a gap in history), then up again.
func TestExpvarRealGoServers(t *testing.T) {
	t.Parallel()
	etcd, caddy, hung := harness.StartEtcd(t), harness.StartCaddy(t), hangingServer(t)
	ds := &harness.Settings{JSONData: map[string]any{
		"expvarPollInterval": goServersPoll.String(),
		"expvarTimeout":      goServersTimeout.String(),
		"expvarTargets": []map[string]any{
			{"name": "etcd", "url": etcd.VarsURL, "job": "etcd"},
			{"name": "caddy", "url": caddy.VarsURL, "job": "caddy"},
			{"name": "hung", "url": hung.URL + "/debug/vars", "job": "hung"},
		},
	}}
	p := harness.StartPlugin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	q := func(refID string, model map[string]any) harness.Query {
		now := time.Now()
		return harness.Query{RefID: refID, From: start.Add(-time.Minute), To: now.Add(time.Second), Interval: time.Second, MaxDataPoints: 1000, Model: model}
	}
	expvarQ := func(refID, target, mode string, paths ...string) harness.Query {
		return q(refID, map[string]any{"queryType": "expvar", "targets": []string{target}, "paths": paths, "mode": mode})
	}
	one := func(query harness.Query) backend.DataResponse {
		t.Helper()
		resp, err := p.QueryData(ctx, ds, query)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Responses[query.RefID]
	}

	// The first query of a healthy target does not wait for the hung one.
	began := time.Now()
	first := one(expvarQ("first", "etcd", "latest", "memstats.NumGC"))
	t.Logf("first query of etcd, beside a hung target (timeout %s): %s", goServersTimeout, time.Since(began).Round(time.Millisecond))
	requireNoError(t, first)

	t.Run("save and test checks each target", func(t *testing.T) {
		res, err := p.CheckHealth(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("Save & test: %s: %s", res.Status, res.Message)
		if res.Status != backend.HealthStatusOk {
			t.Errorf("status %v, want OK: an expvar-only data source with targets that answer", res.Status)
		}
		for _, want := range []string{"2 of 3 expvar targets answer", "etcd answers (", "caddy answers (", "hung does not: expvar target hung: request to", "timed out"} {
			if !strings.Contains(res.Message, want) {
				t.Errorf("message %q lacks %q", res.Message, want)
			}
		}
	})

	t.Run("flattening matches the document", func(t *testing.T) {
		for _, s := range []*harness.GoServer{etcd, caddy} {
			name := s.Name
			body := httpBody(ctx, t, s.VarsURL)
			vars, err := goexpvar.FlattenBytes(body, goexpvar.Limits{})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := make([]string, len(vars))
			for i, v := range vars {
				want[i] = v.Path.String()
			}
			res := one(expvarQ("all", name, "latest", "**"))
			requireNoError(t, res)
			got := column(res.Frames[0], "path")
			slices.Sort(want)
			slices.Sort(got)
			t.Logf("%s: %d variables in /debug/vars, %d rows of ** (%d bytes)", name, len(want), len(got), len(body))
			if !slices.Equal(got, want) {
				t.Errorf("%s: the paths of ** differ from the document's: %d vs %d", name, len(got), len(want))
			}
			// A string leaf is the document's string.
			var doc struct{ Cmdline []string }
			if err := json.Unmarshal(body, &doc); err != nil || len(doc.Cmdline) == 0 {
				t.Fatalf("%s: cmdline: %v", name, err)
			}
			res = one(expvarQ("cmd", name, "latest", "cmdline[0]"))
			if f := res.Frames[0]; f.Rows() != 1 || *f.Fields[4].At(0).(*string) != doc.Cmdline[0] {
				t.Errorf("%s cmdline[0]: %v, want %q", name, describeFields(f), doc.Cmdline[0])
			}
		}
	})

	t.Run("quoted keys, wildcards and hints", func(t *testing.T) {
		res := one(expvarQ("term", "etcd", "latest", `["raft.status"].term`, `["raft.status"].progress.*.match`, `["raft.status"].raftState`))
		requireNoError(t, res)
		rows := map[string]string{}
		f := res.Frames[0]
		for i := range f.Rows() {
			path := f.Fields[2].At(i).(string)
			if n := f.Fields[3].At(i).(*float64); n != nil {
				rows[path] = fmt.Sprint(*n)
			} else if s := f.Fields[4].At(i).(*string); s != nil {
				rows[path] = *s
			}
		}
		if rows[`["raft.status"].raftState`] != "StateLeader" || rows[`["raft.status"].term`] == "" || len(rows) != 3 {
			t.Errorf("etcd raft.status: %v", rows)
		}
		res = one(expvarQ("sizes", "caddy", "latest", "memstats.BySize[*].Size"))
		requireNoError(t, res)
		if n := res.Frames[0].Rows(); n < 60 {
			t.Errorf("caddy memstats.BySize[*].Size: %d rows", n)
		}
		for _, c := range []struct{ target, path, want string }{
			{"etcd", "raft.status.term", `quote it: ["raft.status"].term`},
			{"caddy", "memstats.PauseNs", "it is an array; use memstats.PauseNs[*]"},
			{"caddy", "memstats.BySize", "array of objects"},
		} {
			res := one(expvarQ("hint", c.target, "latest", c.path))
			requireNoError(t, res)
			if n := frametest.NoticeTexts(res.Frames[0]); len(n) != 1 || !strings.Contains(n[0], c.want) {
				t.Errorf("%s %s: notices %q, want %q", c.target, c.path, n, c.want)
			}
		}
	})

	t.Run("suggestions from every target, their own variables first", func(t *testing.T) {
		var sugg []goexpvar.Suggestion
		getJSON(ctx, t, p, ds, "expvar-suggestions", &sugg)
		paths := make([]string, len(sugg))
		firstStandard := len(sugg)
		for i, s := range sugg {
			paths[i] = s.Path
			if (s.Group == "memstats" || s.Group == "cmdline") && firstStandard == len(sugg) {
				firstStandard = i
			}
		}
		t.Logf("%d suggestions from etcd and caddy (%d of their own before memstats)", len(sugg), firstStandard)
		for _, want := range []string{`["raft.status"].term`, "file_descriptor_limit", "badger_v2_puts_total", "memstats.PauseNs[*]", "memstats.BySize[*].Size"} {
			if i := slices.Index(paths, want); i < 0 {
				t.Errorf("no suggestion %s", want)
			} else if !strings.HasPrefix(want, "memstats") && i >= firstStandard {
				t.Errorf("%s suggested after memstats (at %d, memstats from %d)", want, i, firstStandard)
			}
		}
		if i := slices.Index(paths, "memstats.NumGC"); i < 0 || sugg[i].Targets != 2 {
			t.Errorf("memstats.NumGC: not suggested from both targets (%d)", i)
		}
	})

	t.Run("a hung target beside healthy ones", func(t *testing.T) {
		// The healthy targets' poll counts over hungSpan: one history sample per poll.
		from := time.Now()
		var slowest time.Duration
		queries := 0
		for time.Since(from) < hungSpan {
			began := time.Now()
			res := one(expvarQ("latest", "caddy", "latest", "memstats.NumGC"))
			took := time.Since(began)
			slowest, queries = max(slowest, took), queries+1
			if res.Error != nil || res.Frames[0].Rows() != 1 {
				t.Errorf("caddy latest: %v %v", res.Error, res.Frames)
			}
			time.Sleep(3 * time.Second)
		}
		to := time.Now()
		want := int(to.Sub(from) / goServersPoll)
		for _, name := range []string{"etcd", "caddy"} {
			resp, err := p.QueryData(ctx, ds, harness.Query{RefID: "h", From: from, To: to, Interval: time.Second, MaxDataPoints: 1000,
				Model: map[string]any{"queryType": "expvar", "targets": []string{name}, "paths": []string{"memstats.NumGC"}, "mode": "history"}})
			if err != nil {
				t.Fatal(err)
			}
			res := resp.Responses["h"]
			requireNoError(t, res)
			polls := res.Frames[0].Rows()
			t.Logf("%s beside a hung target: %d polls in %s at %s (expected %d)", name, polls, to.Sub(from).Round(time.Second), goServersPoll, want)
			if polls < want-1 || polls > want+1 {
				t.Errorf("%s: %d polls in %s, want %d ± 1", name, polls, to.Sub(from).Round(time.Second), want)
			}
		}
		t.Logf("caddy latest queries: %d, slowest %s (poll interval %s, hung target's timeout %s)", queries, slowest.Round(time.Millisecond), goServersPoll, goServersTimeout)
		if slowest >= goServersTimeout {
			t.Errorf("a query of caddy took %s: it waited for the hung target", slowest)
		}
	})

	t.Run("runtime signals answer or say why", func(t *testing.T) {
		var catalogue []struct {
			ID, ExpvarPath string
		}
		getJSON(ctx, t, p, ds, "runtime-catalogue", &catalogue)
		for _, job := range []string{"etcd", "caddy"} {
			answered, explained := 0, 0
			var missing []string
			for _, sig := range catalogue {
				res := one(q("rt", map[string]any{"queryType": "runtime", "signal": sig.ID, "source": "expvar", "job": job}))
				switch {
				case res.Error != nil && sig.ExpvarPath == "" && strings.Contains(res.Error.Error(), "has no expvar equivalent"):
					explained++
				case res.Error != nil:
					t.Errorf("%s %s: %v", job, sig.ID, res.Error)
				case res.Frames[0].Rows() > 0 && len(frametest.NoticeTexts(res.Frames[0])) == 0:
					answered++
				case len(frametest.NoticeTexts(res.Frames[0])) > 0:
					explained++
					missing = append(missing, sig.ID+": "+frametest.NoticeTexts(res.Frames[0])[0])
				default:
					t.Errorf("%s %s: no values and no word: %v", job, sig.ID, describeFields(res.Frames[0]))
				}
			}
			t.Logf("%s: %d runtime signals answered from expvar, %d explained (of %d); missing: %q", job, answered, explained, len(catalogue), missing)
			if answered+explained != len(catalogue) {
				t.Errorf("%s: %d answered + %d explained of %d", job, answered, explained, len(catalogue))
			}
			if !slices.ContainsFunc(missing, func(m string) bool {
				return strings.HasPrefix(m, "goroutines: expvar target "+job+" publishes no Goroutines") && strings.Contains(m, "runtime.NumGoroutine()")
			}) {
				t.Errorf("%s: no notice that goroutines are not published: %q", job, missing)
			}
		}
		// auto, without Prometheus, reads the expvar targets.
		res := one(q("auto", map[string]any{"queryType": "runtime", "signal": "heap_alloc", "source": "auto", "job": "etcd"}))
		requireNoError(t, res)
		if len(res.Frames) != 1 || res.Frames[0].Rows() < 2 {
			t.Errorf("auto heap_alloc: %v", res.Frames)
		}
		// auto, with a Prometheus that cannot be reached, reads them too and says why.
		down := &harness.Settings{URL: closedURL(t), JSONData: map[string]any{
			"expvarPollInterval": goServersPoll.String(),
			"expvarTargets":      []map[string]any{{"name": "etcd", "url": etcd.VarsURL, "job": "etcd"}},
		}}
		resp, err := p.QueryData(ctx, down, q("auto", map[string]any{"queryType": "runtime", "signal": "heap_alloc", "source": "auto", "job": "etcd"}))
		if err != nil {
			t.Fatal(err)
		}
		res = resp.Responses["auto"]
		requireNoError(t, res)
		if n := frametest.NoticeTexts(res.Frames[0]); len(res.Frames) != 1 || len(n) != 1 || !strings.Contains(n[0], "Prometheus did not answer, so this comes from the expvar targets: Prometheus: connection refused") {
			t.Errorf("auto with Prometheus down: %v, notices %q", describeFields(res.Frames[0]), n)
		}
		res = one(q("nojob", map[string]any{"queryType": "runtime", "signal": "heap_alloc", "source": "expvar", "job": "nginx"}))
		if res.Error == nil || !strings.Contains(res.Error.Error(), `no expvar target belongs to job "nginx": the jobs of the targets are etcd, caddy, hung`) {
			t.Errorf("unknown job: %v", res.Error)
		}
		res = one(q("health", map[string]any{"queryType": "health", "format": "table"}))
		requireNoError(t, res)
		if inst := column(res.Frames[0], "instance"); !contains(inst, etcd.Addr) || !contains(inst, caddy.Addr) {
			t.Errorf("health instances %v, want etcd's and caddy's", inst)
		}
		if n := strings.Join(frametest.NoticeTexts(res.Frames[0]), "\n"); !strings.Contains(n, "expvar target etcd publishes no goroutines") || !strings.Contains(n, "no Prometheus URL") {
			t.Errorf("health notices %q: want the missing goroutines and the missing Prometheus said", n)
		}
	})

	t.Run("a target killed and restarted", func(t *testing.T) {
		killed := time.Now()
		if err := etcd.Stop(); err != nil {
			t.Fatal(err)
		}
		harness.Eventually(t, 20*time.Second, 200*time.Millisecond, "etcd down in latest", func() error {
			res := one(expvarQ("latest", "etcd", "latest", "memstats.NumGC"))
			if res.Error != nil {
				return res.Error
			}
			if n := frametest.NoticeTexts(res.Frames[0]); res.Frames[0].Rows() != 0 || len(n) != 1 || !strings.Contains(n[0], "expvar target etcd is down") || !strings.Contains(n[0], "not shown as current") {
				return fmt.Errorf("rows %d, notices %q", res.Frames[0].Rows(), n)
			}
			return nil
		})
		// Live pushes nulls for the down target, values for the other.
		live := `{"targets":["etcd","caddy"],"paths":["memstats.NumGC"]}`
		runCtx, stop := context.WithCancel(ctx)
		stream, err := p.Stream.RunStream(runCtx, &pluginv2.RunStreamRequest{PluginContext: ds.PluginContext(), Path: "expvar", Data: []byte(live)})
		if err != nil {
			t.Fatal(err)
		}
		packet, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		stop()
		var f data.Frame
		if err := json.Unmarshal(packet.Data, &f); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, fd := range f.Fields[1:] {
			_, ok := fd.ConcreteAt(0)
			got[fd.Labels["target"]] = ok
		}
		if len(got) != 2 || got["etcd"] || !got["caddy"] {
			t.Errorf("live: values present %v, want caddy's and a null for etcd (%s)", got, describeFields(&f))
		}

		etcd.Restart(t)
		restarted := time.Now()
		harness.Eventually(t, 30*time.Second, 200*time.Millisecond, "etcd up again", func() error {
			res := one(expvarQ("latest", "etcd", "latest", "memstats.NumGC"))
			if res.Error != nil || res.Frames[0].Rows() != 1 {
				return fmt.Errorf("%v %v", res.Error, frametest.NoticeTexts(res.Frames[0]))
			}
			return nil
		})
		t.Logf("etcd stopped at +%s, restarted after %s, polled again after %s", killed.Sub(start).Round(time.Second), restarted.Sub(killed).Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))
		// The history has a null at the outage, between values before and after.
		res := one(expvarQ("history", "etcd", "history", "memstats.NumGC"))
		requireNoError(t, res)
		v := res.Frames[0].Fields[1]
		gap := -1
		for i := range v.Len() {
			if _, ok := v.ConcreteAt(i); !ok {
				gap = i
			}
		}
		if gap <= 0 || gap == v.Len()-1 {
			t.Fatalf("history of etcd: null at %d of %d points, want one between values", gap, v.Len())
		}
		// Restarts: 1 at the first poll after the restart when NumGC went down, else 0.
		before, _ := v.FloatAt(gap - 1)
		after, _ := v.FloatAt(gap + 1)
		res = one(q("restarts", map[string]any{"queryType": "runtime", "signal": "restarts", "source": "expvar", "job": "etcd"}))
		requireNoError(t, res)
		r := res.Frames[0].Fields[1]
		ones := 0
		for i := range r.Len() {
			if x, ok := r.ConcreteAt(i); ok && x.(float64) == 1 {
				ones++
			}
		}
		want := 0
		if after < before {
			want = 1
		}
		t.Logf("etcd NumGC %v before the outage, %v after the restart: %d restart(s) counted", before, after, ones)
		if ones != want {
			t.Errorf("restarts counted %d, want %d (NumGC %v then %v)", ones, want, before, after)
		}
	})
}

// httpBody is the body of a GET of url.
func httpBody(ctx context.Context, t *testing.T, url string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return body
}
