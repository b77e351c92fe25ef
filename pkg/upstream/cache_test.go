package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
)

type count struct{ n atomic.Int64 }

func (c *count) Inc() { c.n.Add(1) }

// Callers asking for one key while its call is in flight share that call; a value kept
// serves later callers until it expires; an error is shared with the callers waiting for
// it but not kept.
func TestCacheSharesCallsAndKeepsValues(t *testing.T) {
	c := NewCache(1<<20, func(s string) int64 { return int64(len(s)) })
	var hits, shares, misses count
	c.Hits, c.Shares, c.Misses = &hits, &shares, &misses
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	release := make(chan struct{})
	var runs atomic.Int64
	fn := func(context.Context) (string, time.Time, error) {
		runs.Add(1)
		<-release
		return "answer", now.Add(10 * time.Second), nil
	}
	const callers = 20
	var wg sync.WaitGroup
	results := make(chan string, callers)
	for range callers {
		wg.Go(func() {
			v, _, err := c.Do(context.Background(), "k", fn)
			if err != nil {
				t.Error(err)
			}
			results <- v
		})
	}
	for misses.n.Load()+shares.n.Load() < callers {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(results)
	for v := range results {
		if v != "answer" {
			t.Errorf("got %q", v)
		}
	}
	if runs.Load() != 1 || misses.n.Load() != 1 || shares.n.Load() != callers-1 {
		t.Fatalf("%d runs, %d misses, %d shared, want 1, 1, %d", runs.Load(), misses.n.Load(), shares.n.Load(), callers-1)
	}
	if v, o, _ := c.Do(context.Background(), "k", fn); v != "answer" || o != Hit || runs.Load() != 1 {
		t.Errorf("kept value: %q, outcome %d, %d runs", v, o, runs.Load())
	}
	now = now.Add(10 * time.Second) // expired
	if _, o, _ := c.Do(context.Background(), "k", fn); o != Miss || runs.Load() != 2 {
		t.Errorf("after expiry: outcome %d, %d runs", o, runs.Load())
	}

	boom := errors.New("boom")
	failing := func(context.Context) (string, time.Time, error) { return "", now.Add(time.Hour), boom }
	for range 2 {
		if _, o, err := c.Do(context.Background(), "e", failing); !errors.Is(err, boom) || o != Miss {
			t.Errorf("error: %v, outcome %d (an error is not kept)", err, o)
		}
	}
}

// A caller whose context ends stops waiting; the call goes on for the others, and is
// cancelled when no one waits for it any more.
func TestCacheCallOutlivesOneCaller(t *testing.T) {
	c := NewCache(1<<20, func(s string) int64 { return int64(len(s)) })
	started, release := make(chan struct{}), make(chan struct{})
	cancelled := make(chan struct{})
	fn := func(ctx context.Context) (string, time.Time, error) {
		close(started)
		select {
		case <-release:
			return "v", time.Now().Add(time.Minute), nil
		case <-ctx.Done():
			close(cancelled)
			return "", time.Time{}, ctx.Err()
		}
	}
	leaving, leave := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, _, err := c.Do(leaving, "k", fn); done <- err }()
	<-started
	staying := make(chan string)
	go func() { v, _, _ := c.Do(context.Background(), "k", fn); staying <- v }()
	for {
		c.mu.Lock()
		n := c.calls["k"].waiters
		c.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	leave()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that left got %v", err)
	}
	close(release)
	if v := <-staying; v != "v" {
		t.Fatalf("the caller that stayed got %q", v)
	}

	// alone, a caller that leaves cancels the call
	started = make(chan struct{})
	release = make(chan struct{})
	alone, leaveAlone := context.WithCancel(context.Background())
	go func() { _, _, err := c.Do(alone, "other", fn); done <- err }()
	<-started
	leaveAlone()
	<-done
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the call went on with no one waiting")
	}
}

// The values kept stay within the byte bound: the oldest go first, and a value above an
// eighth of the bound is not kept.
func TestCacheBoundedInBytes(t *testing.T) {
	c := NewCache(800, func(s string) int64 { return int64(len(s)) })
	keep := func(key string, n int) {
		_, _, _ = c.Do(context.Background(), key, func(context.Context) (string, time.Time, error) {
			return strings.Repeat("x", n), time.Now().Add(time.Hour), nil
		})
	}
	for i := range 30 {
		keep(string(rune('a'+i)), 100)
		c.mu.Lock()
		b := c.bytes
		c.mu.Unlock()
		if b > 800 {
			t.Fatalf("%d bytes kept, bound 800", b)
		}
	}
	if _, ok := c.entries["a"]; ok {
		t.Error("the oldest value is still kept")
	}
	if _, ok := c.entries[string(rune('a'+29))]; !ok {
		t.Error("the newest value is not kept")
	}
	keep("big", 101)
	if _, ok := c.entries["big"]; ok {
		t.Error("a value over an eighth of the bound is kept")
	}
}

// The key of a request: parameters in any order and in the URL or the form are the same
// request; instant times within one TTL window are the same, range queries keep their
// exact (step-aligned) range; credentials, identity and tenant headers keep requests
// apart, tracing headers do not.
func TestSharedKey(t *testing.T) {
	now := time.Unix(1_764_000_007, 0)
	ttl := 15 * time.Second
	key := func(method, target, form string, header map[string]string) (string, time.Time) {
		req, _ := http.NewRequest(method, target, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return sharedKey(req, []byte(form), ttl, now)
	}
	base, exp := key("POST", "http://p:9090/api/v1/query", "query=up&time=1764000001.5", nil)
	if !exp.Equal(time.Unix(1_764_000_015, 0)) {
		t.Errorf("instant answer kept until %v, want the end of its window", exp)
	}
	same := []string{
		must(key("POST", "http://p:9090/api/v1/query", "time=1764000014.9&query=up", nil)),
		must(key("POST", "http://p:9090/api/v1/query?query=up", "time=1764000003", nil)),
		must(key("POST", "http://p:9090/api/v1/query", "query=up&time=1764000001.5", map[string]string{"Traceparent": "00-1", "User-Agent": "x"})),
	}
	for i, k := range same {
		if k != base {
			t.Errorf("same request %d has another key:\n%s\n%s", i, k, base)
		}
	}
	other := []string{
		must(key("POST", "http://p:9090/api/v1/query", "query=up&time=1764000015", nil)),
		must(key("POST", "http://p:9090/api/v1/query", "query=up2&time=1764000001.5", nil)),
		must(key("POST", "http://q:9090/api/v1/query", "query=up&time=1764000001.5", nil)),
		must(key("POST", "http://p:9090/api/v1/query", "query=up&time=1764000001.5", map[string]string{"Authorization": "Bearer a"})),
		must(key("POST", "http://p:9090/api/v1/query", "query=up&time=1764000001.5", map[string]string{"X-Scope-OrgID": "tenant-b"})),
		must(key("POST", "http://p:9090/api/v1/query", "query=up&time=1764000001.5", map[string]string{"Cookie": "grafana_session=b"})),
		must(key("GET", "http://p:9090/api/v1/query?query=up&time=1764000001.5", "", nil)),
	}
	for i, k := range other {
		if k == base {
			t.Errorf("different request %d has the same key", i)
		}
	}
	if a, b := must(key("POST", "http://p:9090/api/v1/query", "query=up&time=1764000001.5", map[string]string{"Authorization": "Bearer a"})),
		must(key("POST", "http://p:9090/api/v1/query", "query=up&time=1764000001.5", map[string]string{"Authorization": "Bearer b"})); a == b {
		t.Error("two users share a key")
	}

	r1, exp := key("POST", "http://p:9090/api/v1/query_range", "query=up&start=1763996400&end=1764000000&step=60", nil)
	if !exp.Equal(now.Add(ttl)) {
		t.Errorf("range answer (step 60s) kept until %v, want at most the TTL", exp)
	}
	if r2 := must(key("POST", "http://p:9090/api/v1/query_range", "query=up&start=1763996401&end=1764000001&step=60", nil)); r1 == r2 {
		t.Error("range queries over different ranges share a key")
	}
	if _, exp := key("POST", "http://p:9090/api/v1/query_range", "query=up&start=1763999990&end=1764000000&step=5", nil); !exp.Equal(time.Unix(1_764_000_010, 0)) {
		t.Errorf("range answer (step 5s) kept until %v, want the next step", exp)
	}
	if _, exp := sharedKey(httpRequest("GET", "http://p:9090/api/v1/labels"), nil, 0, now); !exp.IsZero() {
		t.Errorf("TTL 0 keeps answers until %v", exp)
	}
}

func must(k string, _ time.Time) string { return k }

func httpRequest(method, target string) *http.Request {
	req, _ := http.NewRequest(method, target, nil)
	return req
}

// An answer cut by the response limit reads, through shared reads, as it does without
// them: the bytes up to the limit, then the limit's error; it is not kept. A complete
// answer is kept, and a form body still reaches the server.
func TestSharedReadsKeepOnlyCompleteAnswers(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_ = r.ParseForm()
		if r.URL.Path == "/big" {
			_, _ = w.Write([]byte(strings.Repeat("x", 100)))
			return
		}
		_, _ = w.Write([]byte("query=" + r.PostForm.Get("query")))
	}))
	defer srv.Close()
	cache := NewCache(1<<20, AnswerSize)
	hc, err := httpclient.New(httpclient.Options{Middlewares: []httpclient.Middleware{
		SharedReadsMiddleware(Sharing{Coalesce: true, TTL: time.Minute}, cache),
		httpclient.ResponseLimitMiddleware(10),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer hc.CloseIdleConnections()
	read := func(req *http.Request) (string, error) {
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	for i := range 2 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/big", nil)
		body, err := read(req)
		if err == nil || !strings.Contains(err.Error(), "too large") || len(body) > 10 {
			t.Errorf("read %d of a cut answer: %d bytes, %v; want the limit's error", i, len(body), err)
		}
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("a cut answer was kept: %d requests for 2 reads", n)
	}
	for i := range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/q", strings.NewReader("query=up"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if body, err := read(req); err != nil || body != "query=up" {
			t.Errorf("form read %d: %q, %v", i, body, err)
		}
	}
	if n := hits.Load(); n != 3 {
		t.Errorf("%d requests for 2 cut and 2 identical complete reads, want 3", n)
	}
}
