package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testOptions: fast modes, and an exit that fails the test unless a test replaces it.
func testOptions(t *testing.T) options {
	o := defaultOptions(func(code int) { t.Errorf("unexpected exit(%d)", code) })
	o.slowMin, o.slowMax = 100*time.Millisecond, 120*time.Millisecond
	o.failShare = 1
	o.leakEvery, o.leakBatch, o.leakMax, o.leakBytes = time.Millisecond, 10, 50, 1024
	o.crashDelay = 10 * time.Millisecond
	return o
}

func newTestApp(t *testing.T, o options) *App {
	t.Helper()
	a := newApp(o)
	t.Cleanup(a.Close)
	return a
}

type response struct {
	code int
	body map[string]any
}

// call serves one request; body is JSON-encoded unless it is a string.
func call(t *testing.T, a http.Handler, method, target, token string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req := httptest.NewRequest(method, target, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	res := response{code: rec.Code}
	if rec.Body.Len() > 0 && strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			t.Fatalf("%s %s: %v in %q", method, target, err, rec.Body.String())
		}
	}
	return res
}

func login(t *testing.T, a http.Handler, user string) string {
	t.Helper()
	res := call(t, a, "POST", "/api/login", "", map[string]string{"user": user, "password": "secret"})
	if res.code != http.StatusOK {
		t.Fatalf("login %s: %d %v", user, res.code, res.body)
	}
	return res.body["token"].(string)
}

func TestJourney(t *testing.T) {
	a := newTestApp(t, testOptions(t))
	token := login(t, a, "alice")

	if res := call(t, a, "GET", "/api/items", "", nil); res.code != 200 || len(res.body["items"].([]any)) != len(catalog) {
		t.Fatalf("items: %d %v", res.code, res.body)
	}
	if res := call(t, a, "GET", "/api/items/sku-2", "", nil); res.code != 200 || res.body["name"] != "Jasmine tea" {
		t.Fatalf("item: %d %v", res.code, res.body)
	}
	if res := call(t, a, "GET", "/api/items/sku-404", "", nil); res.code != 404 {
		t.Fatalf("unknown item: %d", res.code)
	}
	res := call(t, a, "POST", "/api/orders", token, map[string]any{"items": []orderLine{{"sku-1", 2}, {"sku-2", 1}}})
	if res.code != http.StatusCreated || res.body["amount"] != 78.5 {
		t.Fatalf("order: %d %v", res.code, res.body)
	}
	orderID := res.body["order_id"].(string)
	if got := a.cartItems(); got != 3 {
		t.Errorf("cart items = %v, want 3", got)
	}
	if got := a.activeSessions(); got != 1 {
		t.Errorf("active sessions = %v, want 1", got)
	}

	if res := call(t, a, "POST", "/api/pay", token, map[string]any{"order_id": orderID, "amount": 78.5}); res.code != 200 || res.body["status"] != "paid" {
		t.Fatalf("pay: %d %v", res.code, res.body)
	}
	if res := call(t, a, "POST", "/api/pay", token, map[string]any{"order_id": orderID, "amount": 78.5}); res.code != 404 {
		t.Errorf("paying twice: %d %v", res.code, res.body)
	}
	if got := a.cartItems(); got != 0 {
		t.Errorf("cart items after payment = %v, want 0", got)
	}
	if res := call(t, a, "POST", "/api/events", "", event{"click", "checkout", "pay_button"}); res.code != http.StatusAccepted {
		t.Errorf("event: %d %v", res.code, res.body)
	}

	families := scrape(t, a)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"demo_logins_total", map[string]string{"result": "success"}, 1},
		{"demo_orders_total", map[string]string{"status": "created"}, 1},
		{"demo_payments_total", map[string]string{"status": "paid"}, 1},
		{"demo_payments_total", map[string]string{"status": "rejected"}, 1},
		{"demo_payment_amount_total", nil, 78.5},
		{"demo_events_total", map[string]string{"event_type": "click", "page": "checkout", "element_id": "pay_button"}, 1},
		{"demo_cart_items", nil, 0},
		{"demo_active_sessions", nil, 1},
	} {
		if got := value(t, families, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

func TestLoginFailures(t *testing.T) {
	a := newTestApp(t, testOptions(t))
	for _, body := range []any{
		map[string]string{"user": "bob", "password": "wrong"},
		map[string]string{"user": "bob"},
		map[string]string{"user": "", "password": "secret"},
		map[string]string{"user": "a b", "password": "secret"},
	} {
		if res := call(t, a, "POST", "/api/login", "", body); res.code != http.StatusUnauthorized {
			t.Errorf("login %v: %d, want 401", body, res.code)
		}
	}
	if res := call(t, a, "POST", "/api/login", "", "{"); res.code != http.StatusBadRequest {
		t.Errorf("bad JSON: %d, want 400", res.code)
	}
	if got := value(t, scrape(t, a), "demo_logins_total", map[string]string{"result": "failure"}); got != 5 {
		t.Errorf("failed logins = %v, want 5", got)
	}
}

func TestOrderAndPaymentValidation(t *testing.T) {
	a := newTestApp(t, testOptions(t))
	alice, bob := login(t, a, "alice"), login(t, a, "bob")

	for name, c := range map[string]struct {
		token string
		lines []orderLine
		want  int
	}{
		"no token":      {"", []orderLine{{"sku-1", 1}}, http.StatusUnauthorized},
		"bad token":     {"nope", []orderLine{{"sku-1", 1}}, http.StatusUnauthorized},
		"no lines":      {alice, nil, http.StatusBadRequest},
		"unknown item":  {alice, []orderLine{{"sku-0", 1}}, http.StatusBadRequest},
		"zero quantity": {alice, []orderLine{{"sku-1", 0}}, http.StatusBadRequest},
		"too many":      {alice, []orderLine{{"sku-1", 100}}, http.StatusBadRequest},
	} {
		if res := call(t, a, "POST", "/api/orders", c.token, map[string]any{"items": c.lines}); res.code != c.want {
			t.Errorf("%s: %d %v, want %d", name, res.code, res.body, c.want)
		}
	}

	res := call(t, a, "POST", "/api/orders", alice, map[string]any{"items": []orderLine{{"sku-3", 2}}})
	id := res.body["order_id"].(string)
	for name, c := range map[string]struct {
		token  string
		id     string
		amount float64
		want   int
	}{
		"no token":      {"", id, 30, http.StatusUnauthorized},
		"unknown order": {alice, "o-999", 30, http.StatusNotFound},
		"other user":    {bob, id, 30, http.StatusNotFound},
		"wrong amount":  {alice, id, 29.99, http.StatusBadRequest},
	} {
		if res := call(t, a, "POST", "/api/pay", c.token, map[string]any{"order_id": c.id, "amount": c.amount}); res.code != c.want {
			t.Errorf("pay %s: %d %v, want %d", name, res.code, res.body, c.want)
		}
	}
	families := scrape(t, a)
	if got := value(t, families, "demo_orders_total", map[string]string{"status": "rejected"}); got != 6 {
		t.Errorf("rejected orders = %v, want 6", got)
	}
	if got := value(t, families, "demo_payments_total", map[string]string{"status": "rejected"}); got != 4 {
		t.Errorf("rejected payments = %v, want 4", got)
	}
	if got := a.cartItems(); got != 2 {
		t.Errorf("cart items = %v, want 2 (the order is still unpaid)", got)
	}
}

func TestEventValidation(t *testing.T) {
	a := newTestApp(t, testOptions(t))
	for _, c := range []struct {
		body any
		want int
	}{
		{map[string]string{"event_type": "page_view", "page": "home"}, http.StatusAccepted},
		{map[string]string{"event_type": "click", "page": "home", "element_id": "banner", "user_id": "u-123"}, http.StatusAccepted},
		{map[string]string{"event_type": "purchase", "page": "home"}, http.StatusBadRequest},
		{map[string]string{"event_type": "click", "page": "/home?u=1"}, http.StatusBadRequest},
		{map[string]string{"event_type": "click", "page": "home", "element_id": "u-123"}, http.StatusBadRequest},
		{"not json", http.StatusBadRequest},
	} {
		if res := call(t, a, "POST", "/api/events", "", c.body); res.code != c.want {
			t.Errorf("event %v: %d %v, want %d", c.body, res.code, res.body, c.want)
		}
	}
	families := scrape(t, a)
	if got := value(t, families, "demo_events_total", map[string]string{"event_type": "page_view", "page": "home", "element_id": "none"}); got != 1 {
		t.Errorf("page_view events = %v, want 1", got)
	}
	for _, m := range families["demo_events_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "user_id" || strings.Contains(l.GetValue(), "u-123") {
				t.Errorf("user id leaked into a label: %v", m.GetLabel())
			}
		}
	}
	if n := len(families["demo_events_total"].GetMetric()); n != 2 {
		t.Errorf("demo_events_total has %d series, want 2", n)
	}
}

func TestModeSwitch(t *testing.T) {
	a := newTestApp(t, testOptions(t))
	if res := call(t, a, "GET", "/admin/mode", "", nil); res.body["mode"] != "normal" {
		t.Fatalf("initial mode: %v", res.body)
	}
	form := httptest.NewRequest("POST", "/admin/mode", strings.NewReader(url.Values{"mode": {"failing"}}.Encode()))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, form)
	if rec.Code != 200 || a.currentMode() != modeFailing {
		t.Fatalf("form body: %d %s", rec.Code, rec.Body)
	}
	jsonReq := httptest.NewRequest("POST", "/admin/mode", strings.NewReader(`{"mode":"slow"}`))
	jsonReq.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	a.ServeHTTP(rec, jsonReq)
	if rec.Code != 200 || a.currentMode() != modeSlow {
		t.Fatalf("JSON body: %d %s", rec.Code, rec.Body)
	}
	if res := call(t, a, "POST", "/admin/mode?mode=normal", "", nil); res.code != 200 || res.body["previous"] != "slow" || res.body["mode"] != "normal" {
		t.Fatalf("query: %d %v", res.code, res.body)
	}
	for _, bad := range []string{"/admin/mode?mode=turbo", "/admin/mode"} {
		if res := call(t, a, "POST", bad, "", nil); res.code != http.StatusBadRequest || !strings.Contains(res.body["error"].(string), "normal") {
			t.Errorf("POST %s: %d %v", bad, res.code, res.body)
		}
	}
	if res := call(t, a, "GET", "/admin/mode", "", nil); res.body["mode"] != "normal" {
		t.Errorf("mode after bad requests: %v", res.body)
	}
	families := scrape(t, a)
	for _, m := range modes {
		want := 0.0
		if m == modeNormal {
			want = 1
		}
		if got := value(t, families, "demo_mode", map[string]string{"mode": string(m)}); got != want {
			t.Errorf("demo_mode{mode=%q} = %v, want %v", m, got, want)
		}
	}
}

func TestSlowMode(t *testing.T) {
	o := testOptions(t)
	a := newTestApp(t, o)
	a.switchMode(modeSlow)
	start := time.Now()
	if res := call(t, a, "GET", "/api/items", "", nil); res.code != 200 {
		t.Fatalf("items: %d", res.code)
	}
	if d := time.Since(start); d < o.slowMin {
		t.Errorf("slow mode answered in %v, want at least %v", d, o.slowMin)
	}
	start = time.Now()
	call(t, a, "GET", "/admin/mode", "", nil)
	if d := time.Since(start); d >= o.slowMin {
		t.Errorf("admin endpoint slowed down too: %v", d)
	}
	h := histogram(t, scrape(t, a), "http_request_duration_seconds", map[string]string{"method": "GET", "path": "/api/items"})
	if h.GetSampleCount() != 1 || h.GetSampleSum() < o.slowMin.Seconds() {
		t.Errorf("latency histogram: count %d sum %v", h.GetSampleCount(), h.GetSampleSum())
	}
}

// The defaults must put p99 above the 0.5 s alert threshold.
func TestDefaultSlowModeIsAboveThreshold(t *testing.T) {
	if o := defaultOptions(nil); o.slowMin <= 500*time.Millisecond || o.slowMax < o.slowMin {
		t.Errorf("slow mode sleeps %v–%v, want above 0.5 s", o.slowMin, o.slowMax)
	}
}

func TestFailingMode(t *testing.T) {
	a := newTestApp(t, testOptions(t))
	token := login(t, a, "carol")
	a.switchMode(modeFailing)
	for _, c := range []struct{ method, target string }{
		{"POST", "/api/login"}, {"GET", "/api/items"}, {"GET", "/api/items/sku-1"},
		{"POST", "/api/orders"}, {"POST", "/api/pay"}, {"POST", "/api/events"},
	} {
		if res := call(t, a, c.method, c.target, token, "{}"); res.code != http.StatusInternalServerError {
			t.Errorf("%s %s in failing mode: %d", c.method, c.target, res.code)
		}
	}
	if res := call(t, a, "GET", "/admin/mode", "", nil); res.code != 200 {
		t.Errorf("admin endpoint fails too: %d", res.code)
	}
	families := scrape(t, a)
	if got := value(t, families, "http_requests_total", map[string]string{"method": "POST", "path": "/api/orders", "code": "500"}); got != 1 {
		t.Errorf("http_requests_total 500 for orders = %v, want 1", got)
	}
	for name, label := range map[string]map[string]string{
		"demo_logins_total":   {"result": "error"},
		"demo_orders_total":   {"status": "error"},
		"demo_payments_total": {"status": "error"},
	} {
		if got := value(t, families, name, label); got != 1 {
			t.Errorf("%s%v = %v, want 1", name, label, got)
		}
	}
}

func TestLeakMode(t *testing.T) {
	o := testOptions(t)
	a := newTestApp(t, o)
	before := runtime.NumGoroutine()
	a.switchMode(modeLeak)
	waitFor(t, func() bool { return a.leaked.Load() == int64(o.leakMax) })
	time.Sleep(20 * time.Millisecond) // further ticks must not go past the cap
	if got := value(t, scrape(t, a), "demo_leaked_goroutines", nil); got != float64(o.leakMax) {
		t.Errorf("demo_leaked_goroutines = %v, want %d", got, o.leakMax)
	}
	if n := runtime.NumGoroutine(); n < before+o.leakMax {
		t.Errorf("%d goroutines, want at least %d", n, before+o.leakMax)
	}
	a.switchMode(modeLeak) // staying in leak mode keeps the leak
	if got := a.leaked.Load(); got != int64(o.leakMax) {
		t.Errorf("leaked = %d after re-entering leak mode", got)
	}
	a.switchMode(modeNormal)
	if got := a.leaked.Load(); got != 0 {
		t.Errorf("leaked = %d after leaving leak mode, want 0", got)
	}
}

func TestCrashMode(t *testing.T) {
	o := testOptions(t)
	exited := make(chan int, 1)
	o.exit = func(code int) { exited <- code }
	a := newTestApp(t, o)
	if res := call(t, a, "POST", "/admin/mode?mode=crash", "", nil); res.code != 200 || res.body["mode"] != "crash" {
		t.Fatalf("crash: %d %v", res.code, res.body)
	}
	select {
	case code := <-exited:
		if code == 0 {
			t.Errorf("crash exit code 0, want non-zero")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("crash mode did not exit")
	}
}

func TestMetricsExposition(t *testing.T) {
	a := newTestApp(t, testOptions(t))
	call(t, a, "GET", "/api/items/sku-7", "", nil)
	call(t, a, "GET", "/api/items/sku-8", "", nil)
	call(t, a, "GET", "/no/such/route", "", nil)
	families := scrape(t, a)

	if got := value(t, families, "http_requests_total", map[string]string{"method": "GET", "path": "/api/items/{id}", "code": "200"}); got != 2 {
		t.Errorf("requests to /api/items/{id} = %v, want 2", got)
	}
	for _, m := range families["http_requests_total"].GetMetric() {
		if p := label(m, "path"); !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/admin/") {
			t.Errorf("path label %q is not a route pattern", p)
		}
	}
	h := histogram(t, families, "http_request_duration_seconds", map[string]string{"method": "GET", "path": "/api/items/{id}"})
	if !hasBucket(h, 0.5) {
		t.Errorf("http_request_duration_seconds has no 0.5 s bucket: %v", h.GetBucket())
	}
	for _, name := range []string{
		"go_goroutines", "go_threads", "go_gc_duration_seconds", "go_memstats_heap_inuse_bytes",
		"go_memstats_alloc_bytes_total", "go_sched_latencies_seconds", "go_sched_pauses_total_gc_seconds",
		"go_sched_threads_total_threads", "process_cpu_seconds_total", "process_resident_memory_bytes",
		"process_open_fds", "process_max_fds", "demo_logins_total", "demo_orders_total",
		"demo_payments_total", "demo_payment_amount_total", "demo_active_sessions", "demo_cart_items",
		"demo_leaked_goroutines", "demo_mode",
	} {
		if _, ok := families[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if h := histogram(t, families, "go_sched_latencies_seconds", nil); len(h.GetBucket()) == 0 {
		t.Errorf("go_sched_latencies_seconds has no buckets")
	}
}

func TestDebugVars(t *testing.T) {
	a := newTestApp(t, testOptions(t))
	login(t, a, "dave")
	call(t, a, "POST", "/api/events", "", event{"share", "item_detail", "share_button"})

	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/vars", nil))
	var vars struct {
		Goroutines int      `json:"goroutines"`
		Cmdline    []string `json:"cmdline"`
		Memstats   struct{ HeapAlloc uint64 }
		Business   struct {
			Logins        map[string]int `json:"logins"`
			Orders        map[string]int `json:"orders"`
			Payments      map[string]int `json:"payments"`
			PaymentAmount float64        `json:"payment_amount"`
			Events        map[string]int `json:"events"`
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &vars); err != nil {
		t.Fatalf("/debug/vars: %v", err)
	}
	if vars.Goroutines <= 0 || len(vars.Cmdline) == 0 || vars.Memstats.HeapAlloc == 0 {
		t.Errorf("runtime vars missing: %+v", vars)
	}
	for name, m := range map[string]map[string]int{"logins": vars.Business.Logins, "orders": vars.Business.Orders, "payments": vars.Business.Payments} {
		if len(m) != 3 {
			t.Errorf("business.%s = %v, want its three keys from the start", name, m)
		}
	}
	// expvar is process-wide: other tests add to the same counters.
	if vars.Business.Logins["success"] < 1 || vars.Business.Events["share"] < 1 {
		t.Errorf("business vars: %+v", vars.Business)
	}
}

func TestTTLMap(t *testing.T) {
	now := time.Now()
	m := newTTLMap[int](time.Minute, 3)
	m.put(now, "a", 1)
	m.put(now.Add(time.Second), "b", 2)
	m.put(now.Add(2*time.Second), "c", 3)
	m.delete("b")
	m.put(now.Add(3*time.Second), "d", 4)
	if got := m.len(now.Add(3 * time.Second)); got != 3 {
		t.Errorf("len = %d, want 3", got)
	}
	m.put(now.Add(4*time.Second), "e", 5) // full: drops the oldest, a
	if _, ok := m.get(now.Add(4*time.Second), "a"); ok {
		t.Error("a survived a full map")
	}
	if v, ok := m.get(now.Add(4*time.Second), "c"); !ok || v != 3 {
		t.Errorf("c = %d, %v", v, ok)
	}
	later := now.Add(2*time.Second + time.Minute) // c expires
	if _, ok := m.get(later, "c"); ok {
		t.Error("c did not expire")
	}
	sum := 0
	m.each(later, func(v int) { sum += v })
	if sum != 9 || m.len(later) != 2 {
		t.Errorf("after expiry: sum %d len %d, want 9 and 2", sum, m.len(later))
	}
}

func TestServeShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(testOptions(t))
	a.switchMode(modeLeak)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, a) }()

	res, err := http.Get(fmt.Sprintf("http://%s/metrics", ln.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("/metrics: %d", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	if got := a.leaked.Load(); got != 0 {
		t.Errorf("%d leaked goroutines left after shutdown", got)
	}
	http.DefaultClient.CloseIdleConnections()
}

func scrape(t *testing.T, a http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	a.ServeHTTP(rec, req)
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

func find(t *testing.T, families map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	for _, m := range families[name].GetMetric() {
		match := true
		for k, v := range labels {
			match = match && label(m, k) == v
		}
		if match {
			return m
		}
	}
	t.Fatalf("no %s%v on /metrics", name, labels)
	return nil
}

func value(t *testing.T, families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	m := find(t, families, name, labels)
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("%s is neither a counter nor a gauge", name)
	return 0
}

func histogram(t *testing.T, families map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Histogram {
	t.Helper()
	h := find(t, families, name, labels).GetHistogram()
	if h == nil {
		t.Fatalf("%s is not a histogram", name)
	}
	return h
}

func hasBucket(h *dto.Histogram, le float64) bool {
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == le {
			return true
		}
	}
	return false
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The request latency is a classic histogram with bounds at the health thresholds (0.25,
// 0.5 and 1 s) and, to a scraper that asks for protobuf, also a native histogram (factor
// 1.1, so schema 3) holding the same observations.
func TestLatencyHistograms(t *testing.T) {
	a := newTestApp(t, testOptions(t))
	call(t, a, "GET", "/api/items", "", nil)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeProtoDelim)))
	a.ServeHTTP(rec, req)
	dec := expfmt.NewDecoder(rec.Body, expfmt.NewFormat(expfmt.TypeProtoDelim))
	var h *dto.Histogram
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err != nil {
			if err != io.EOF {
				t.Fatalf("decode /metrics: %v", err)
			}
			break
		}
		if mf.GetName() == "http_request_duration_seconds" {
			for _, m := range mf.GetMetric() {
				if label(m, "path") == "/api/items" {
					h = m.GetHistogram()
				}
			}
		}
	}
	if h == nil {
		t.Fatal("no http_request_duration_seconds for /api/items")
	}
	for _, le := range []float64{0.25, 0.5, 1} {
		if !hasBucket(h, le) {
			t.Errorf("no classic bucket at %v s: %v", le, h.GetBucket())
		}
	}
	var native uint64
	for _, d := range h.GetPositiveDelta() {
		native += uint64(d) // the first delta is the first count; a single bucket here
	}
	if h.GetSchema() != 3 || len(h.GetPositiveSpan()) == 0 || native+h.GetZeroCount() != h.GetSampleCount() || h.GetSampleCount() != 1 {
		t.Errorf("native histogram: schema %d, spans %v, deltas %v, zero count %d, count %d", h.GetSchema(), h.GetPositiveSpan(), h.GetPositiveDelta(), h.GetZeroCount(), h.GetSampleCount())
	}
}
