package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// httpClient is used for readiness polls and API calls made by the harness.
// Keep-alives are off so that no idle connection (and goroutine) outlives a test.
var httpClient = &http.Client{
	Timeout:   5 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// HTTPGet fetches url and returns the status code and body.
func HTTPGet(ctx context.Context, rawURL string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, nil, err
	}
	return doHTTP(req)
}

// HTTPPost posts a form-less request to url and returns the status code and body.
func HTTPPost(ctx context.Context, rawURL string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, nil)
	if err != nil {
		return 0, nil, err
	}
	return doHTTP(req)
}

func doHTTP(req *http.Request) (int, []byte, error) {
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, b, err
}

// expect200 returns nil when GET url answers 200.
func expect200(rawURL string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	code, body, err := HTTPGet(ctx, rawURL)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d: %.200s", rawURL, code, body)
	}
	return nil
}

// Eventually polls cond every interval until it returns nil or timeout passes,
// then fails the test with the last error and msg. It is a bounded wait, not an
// assertion by sleeping.
func Eventually(t testing.TB, timeout, interval time.Duration, msg string, cond func() error) {
	t.Helper()
	if err := poll(timeout, interval, cond); err != nil {
		t.Fatalf("harness: %s: not true after %v: %v", msg, timeout, err)
	}
}

func poll(timeout, interval time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(interval)
	}
}

// PromSample is one element of an instant-vector result.
type PromSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// PromQuery runs an instant query against a Prometheus-compatible API at baseURL
// and returns the vector result.
func PromQuery(ctx context.Context, baseURL, expr string) ([]PromSample, error) {
	u := baseURL + "/api/v1/query?" + url.Values{"query": {expr}}.Encode()
	code, body, err := HTTPGet(ctx, u)
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string       `json:"resultType"`
			Result     []PromSample `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query %q: HTTP %d, not JSON: %.200s", expr, code, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %q: HTTP %d: %s", expr, code, r.Error)
	}
	if r.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: result type %s, want vector", expr, r.Data.ResultType)
	}
	return r.Data.Result, nil
}

// WaitForQuery waits (bounded) until expr returns at least one sample from the
// Prometheus-compatible API at baseURL, and returns the samples.
func WaitForQuery(t testing.TB, baseURL, expr string, timeout time.Duration) []PromSample {
	t.Helper()
	var got []PromSample
	Eventually(t, timeout, 250*time.Millisecond, fmt.Sprintf("query %s at %s returns samples", expr, baseURL), func() error {
		s, err := nonEmpty(baseURL, expr)
		got = s
		return err
	})
	return got
}

// BuildInfoVersion returns the version reported by /api/v1/status/buildinfo.
func BuildInfoVersion(ctx context.Context, baseURL string) (string, error) {
	code, body, err := HTTPGet(ctx, baseURL+"/api/v1/status/buildinfo")
	if err != nil {
		return "", err
	}
	var r struct {
		Data struct {
			Version string `json:"version"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Data.Version == "" {
		return "", fmt.Errorf("buildinfo: HTTP %d: %.200s", code, body)
	}
	return r.Data.Version, nil
}

// nonEmpty runs expr once (bounded) and fails when it returns no sample.
func nonEmpty(baseURL, expr string) ([]PromSample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	s, err := PromQuery(ctx, baseURL, expr)
	if err == nil && len(s) == 0 {
		err = fmt.Errorf("%s is empty", expr)
	}
	return s, err
}
