package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeApp answers like the demo app and records what it was sent.
type fakeApp struct {
	mu       sync.Mutex
	mode     string
	requests []string // "POST /api/orders"
	bad      []string // requests the real app would have rejected
}

func (f *fakeApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	route := r.Method + " " + r.URL.Path
	if strings.HasPrefix(r.URL.Path, "/api/items/") {
		route = r.Method + " /api/items/{id}"
	}
	f.requests = append(f.requests, route)
	var body map[string]any
	if r.Method == http.MethodPost && r.URL.Path != "/admin/mode" {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			f.bad = append(f.bad, route+": "+err.Error())
		}
	}
	authed := r.Header.Get("Authorization") == "Bearer t-1"
	switch route {
	case "POST /api/login":
		if body["password"] == "wrong" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeJSON(w, 200, map[string]string{"token": "t-1"})
	case "GET /api/items":
		writeJSON(w, 200, map[string]any{"items": []map[string]any{{"id": "sku-1"}, {"id": "sku-2"}}})
	case "GET /api/items/{id}":
		writeJSON(w, 200, map[string]any{"id": r.PathValue("id")})
	case "POST /api/orders":
		if !authed {
			f.bad = append(f.bad, route+" without token")
		}
		writeJSON(w, 201, map[string]any{"order_id": "o-1", "amount": 12.5})
	case "POST /api/pay":
		if !authed || body["order_id"] != "o-1" || body["amount"] != 12.5 {
			f.bad = append(f.bad, fmt.Sprintf("%s %v", route, body))
		}
		writeJSON(w, 200, map[string]any{"status": "paid"})
	case "POST /api/events":
		for _, k := range []string{"event_type", "page", "element_id"} {
			if s, _ := body[k].(string); s == "" {
				f.bad = append(f.bad, fmt.Sprintf("%s without %s: %v", route, k, body))
			}
		}
		w.WriteHeader(http.StatusAccepted)
	case "GET /admin/mode":
		writeJSON(w, 200, map[string]string{"mode": f.mode})
	case "POST /admin/mode":
		m := r.URL.Query().Get("mode")
		if m != "normal" && m != "slow" {
			writeJSON(w, 400, map[string]string{"error": "unknown mode"})
			return
		}
		f.mode = m
		writeJSON(w, 200, map[string]string{"mode": m})
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeApp) count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r == route {
			n++
		}
	}
	return n
}

func (f *fakeApp) currentMode() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mode
}

func newFake(t *testing.T) (*fakeApp, *httptest.Server) {
	f := &fakeApp{mode: "normal"}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func newGenerator(t *testing.T, target string) *generator {
	client := &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	return &generator{target: target, client: client}
}

func TestGeneratorMix(t *testing.T) {
	f, srv := newFake(t)
	g := newGenerator(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.run(ctx, 1000, 4)
	}()
	for f.count("POST /api/pay") < 3 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done

	for _, route := range []string{"POST /api/login", "GET /api/items", "GET /api/items/{id}", "POST /api/orders", "POST /api/pay", "POST /api/events"} {
		if f.count(route) == 0 {
			t.Errorf("no %s sent", route)
		}
	}
	if f.count("POST /api/events") < f.count("POST /api/login") {
		t.Errorf("fewer events (%d) than logins (%d)", f.count("POST /api/events"), f.count("POST /api/login"))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bad) > 0 {
		t.Errorf("malformed requests: %v", f.bad)
	}
	if s := g.stats.snapshot(); s["sent"] == 0 || s["failed"] != 0 || s["server_errors"] != 0 || s["sent"] != s["ok"]+s["client_errors"] {
		t.Errorf("stats %v", s)
	}
}

func TestGeneratorRateIsBounded(t *testing.T) {
	_, srv := newFake(t)
	g := newGenerator(t, srv.URL)
	const rps, run = 40, 500 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), run)
	defer cancel()
	g.run(ctx, rps, 8)
	if sent := g.stats.sent.Load(); sent == 0 || sent > int64(rps*run.Seconds())+2 {
		t.Errorf("sent %d requests in %v at %d rps", sent, run, rps)
	}
}

func TestGeneratorCountsFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	g := newGenerator(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	g.run(ctx, 200, 2)
	if s := g.stats.snapshot(); s["server_errors"] == 0 || s["server_errors"] != s["sent"] {
		t.Errorf("stats %v, want only server errors", s)
	}
}

func TestControlForwardsMode(t *testing.T) {
	f, app := newFake(t)
	client := &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	ctl := newControl(app.URL, client, &stats{}, newAlertLog(10))

	serve := func(req *http.Request) (int, string) {
		rec := httptest.NewRecorder()
		ctl.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if code, body := serve(httptest.NewRequest("POST", "/mode?mode=slow", nil)); code != 200 || !strings.Contains(body, `"slow"`) {
		t.Errorf("POST /mode?mode=slow: %d %s", code, body)
	}
	if m := f.currentMode(); m != "slow" {
		t.Errorf("app mode %q, want slow", m)
	}
	form := httptest.NewRequest("POST", "/mode", strings.NewReader(url.Values{"mode": {"normal"}}.Encode()))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if code, _ := serve(form); code != 200 || f.currentMode() != "normal" {
		t.Errorf("form body: %d, app mode %q", code, f.currentMode())
	}
	if code, body := serve(httptest.NewRequest("POST", "/mode?mode=turbo", nil)); code != 400 || !strings.Contains(body, "unknown mode") {
		t.Errorf("bad mode: %d %s, want the app's 400", code, body)
	}
	if code, body := serve(httptest.NewRequest("GET", "/mode", nil)); code != 200 || !strings.Contains(body, `"normal"`) {
		t.Errorf("GET /mode: %d %s", code, body)
	}

	app.Close()
	if code, body := serve(httptest.NewRequest("POST", "/mode?mode=slow", nil)); code != http.StatusBadGateway {
		t.Errorf("app down: %d %s, want 502", code, body)
	}
}

func TestAlertWebhook(t *testing.T) {
	st := &stats{}
	st.record(200, nil)
	ctl := newControl("http://127.0.0.1:1", http.DefaultClient, st, newAlertLog(2))
	post := func(body string) int {
		rec := httptest.NewRecorder()
		ctl.ServeHTTP(rec, httptest.NewRequest("POST", "/alerts", strings.NewReader(body)))
		return rec.Code
	}
	for _, receiver := range []string{"ticket", "oncall", "pager"} {
		body := fmt.Sprintf(`{"version":"4","receiver":%q,"status":"firing","alerts":[{"status":"firing","labels":{"alertname":"X","severity":"P0"}}]}`, receiver)
		if code := post(body); code != 200 {
			t.Fatalf("POST /alerts: %d", code)
		}
	}
	if code := post("{"); code != http.StatusBadRequest {
		t.Errorf("bad JSON: %d", code)
	}

	rec := httptest.NewRecorder()
	ctl.ServeHTTP(rec, httptest.NewRequest("GET", "/alerts", nil))
	var got struct {
		Total  int            `json:"total"`
		Recent []notification `json:"recent"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Total != 3 || len(got.Recent) != 2 || got.Recent[1].Receiver != "pager" || got.Recent[1].Alerts[0].Labels["severity"] != "P0" {
		t.Errorf("GET /alerts: %s", rec.Body)
	}

	rec = httptest.NewRecorder()
	ctl.ServeHTTP(rec, httptest.NewRequest("GET", "/stats", nil))
	if !strings.Contains(rec.Body.String(), `"sent":1`) {
		t.Errorf("GET /stats: %s", rec.Body)
	}
}

func TestRunValidatesFlags(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		target  string
		rps     float64
		workers int
	}{
		{"localhost:8080", 10, 1},
		{"http://127.0.0.1:1", 0, 1},
		{"http://127.0.0.1:1", 5000, 1},
		{"http://127.0.0.1:1", 10, 0},
	} {
		if err := run(c.target, c.rps, c.workers, "127.0.0.1:0", time.Second, logger); err == nil {
			t.Errorf("run(%q, %v, %d) accepted", c.target, c.rps, c.workers)
		}
	}
}

func TestRunStopsAfterDuration(t *testing.T) {
	_, srv := newFake(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := time.Now()
	if err := run(srv.URL, 50, 2, "127.0.0.1:0", 300*time.Millisecond, logger); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("run took %v", d)
	}
}
