package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
)

// TestSharedUpstreamReads: viewers sending the same range query at once through the
// plugin binary cost Prometheus one request, counted by Prometheus itself; the same
// query a moment later is answered from the kept answer; with coalesceRequests off every
// viewer's query reaches Prometheus. Every viewer gets the same frames either way.
func TestSharedUpstreamReads(t *testing.T) {
	t.Parallel()
	s := harness.StartStackWith(t, harness.StackOptions{NoAlertmanager: true})
	harness.WaitForQuery(t, s.Prometheus.URL, `count_over_time(up{job="demo"}[1m]) >= 3`, 45*time.Second)
	c := harness.StartPlugin(t)
	rangeRequests := func() int {
		return counterSum(t, s.Prometheus.URL+"/metrics", "prometheus_http_requests_total{", func(labels string) bool {
			return strings.Contains(labels, `handler="/api/v1/query_range"`)
		})
	}
	const viewers = 20
	now := time.Now()
	// A step of an hour: the answer is kept until the next hour or for cacheTTL.
	q := harness.Query{RefID: "A", Model: map[string]any{"queryType": "promql", "expr": `vector(1)`},
		From: now.Add(-6 * time.Hour), To: now, Interval: time.Hour, MaxDataPoints: 10}
	view := func(ds *harness.Settings) []string {
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			out []string
		)
		for range viewers {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				resp, err := c.QueryData(ctx, ds, q)
				var got string
				switch {
				case err != nil:
					got = err.Error()
				case resp.Responses["A"].Error != nil:
					got = resp.Responses["A"].Error.Error()
				default:
					fr := resp.Responses["A"].Frames
					got = fmt.Sprintf("%d frames", len(fr))
					if len(fr) == 1 && len(fr[0].Fields) == 2 {
						v, _ := fr[0].Fields[1].FloatAt(fr[0].Rows() - 1)
						got = fmt.Sprintf("%d rows, last %v", fr[0].Rows(), v)
					}
				}
				mu.Lock()
				out = append(out, got)
				mu.Unlock()
			})
		}
		wg.Wait()
		return out
	}
	sameAnswers := func(what string, answers []string) {
		t.Helper()
		for _, a := range answers {
			if a != answers[0] || a == "" {
				t.Fatalf("%s: viewers got different answers: %q", what, answers)
			}
		}
		t.Logf("%s: every viewer got %s", what, answers[0])
	}

	shared := &harness.Settings{URL: s.Prometheus.URL, JSONData: map[string]any{"cacheTTL": "10m"}}
	before := rangeRequests()
	sameAnswers("shared", view(shared))
	if n := rangeRequests() - before; n != 1 {
		t.Errorf("%d viewers at once made %d range requests, want 1", viewers, n)
	}
	before = rangeRequests()
	sameAnswers("shared again", view(shared))
	if n := rangeRequests() - before; n != 0 {
		t.Errorf("the same query a moment later made %d range requests, want 0 (kept)", n)
	}

	unshared := &harness.Settings{URL: s.Prometheus.URL, JSONData: map[string]any{"coalesceRequests": false}}
	before = rangeRequests()
	sameAnswers("unshared", view(unshared))
	if n := rangeRequests() - before; n != viewers {
		t.Errorf("with coalesceRequests off, %d viewers made %d range requests, want %d", viewers, n, viewers)
	}
}
