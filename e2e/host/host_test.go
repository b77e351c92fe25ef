package host

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/plugin"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startHost serves the plugin in process behind the host, with a Prometheus URL and an
// expvar target where nothing listens (the routes are what is tested here, not the answers
// of a server) and a basic-auth password.
func startHost(t *testing.T) *Host {
	t.Helper()
	dist, page := t.TempDir(), t.TempDir()
	for _, f := range []string{filepath.Join(dist, "module.js"), filepath.Join(page, "index.html")} {
		if err := os.WriteFile(f, []byte("// stand-in"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ds := &harness.Settings{URL: "http://" + harness.FreeAddr(t), BasicAuthEnabled: true, BasicAuthUser: "reader",
		Secure: map[string]string{"basicAuthPassword": "s3cret-pw"}, JSONData: map[string]any{"expvarTargets": []map[string]string{{"name": "api", "url": "http://" + harness.FreeAddr(t) + "/debug/vars"}}}}
	return Start(t, Options{Dist: dist, Page: page, Client: harness.ServeInProcess(t, plugin.NewDatasource), Settings: ds})
}

func call(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// A query the plugin refuses answers 400 with that query's error, and the other query of
// the request still answers (as Grafana's /api/ds/query does).
func TestQueryForwardsEveryQuery(t *testing.T) {
	h := startHost(t)
	body := `{"from":"1700000000000","to":"1700000300000","queries":[
		{"refId":"A","queryType":"runtime","signal":"no-such-signal","intervalMs":15000,"maxDataPoints":100},
		{"refId":"B","queryType":"variable","variableQuery":{"kind":"expvar_targets"}}]}`
	status, b := call(t, "POST", h.URL+"/api/ds/query", body)
	if status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", status, b)
	}
	var res struct {
		Results map[string]struct {
			Status int               `json:"status"`
			Error  string            `json:"error"`
			Frames []json.RawMessage `json:"frames"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if a := res.Results["A"]; a.Status != http.StatusBadRequest || !strings.Contains(a.Error, "no-such-signal") {
		t.Errorf("A: %+v, want 400 naming the signal", a)
	}
	if b := res.Results["B"]; b.Error != "" || len(b.Frames) != 1 || !bytes.Contains(b.Frames[0], []byte(`"api"`)) {
		t.Errorf("B: %+v, want one frame listing the target api", b)
	}
	if status, _ := call(t, "POST", h.URL+"/api/ds/query", `{"queries":[]}`); status != http.StatusBadRequest {
		t.Errorf("a request without time range or queries: status %d, want 400", status)
	}
}

// Resources keep their path and query string; health answers 400 with the plugin's
// message when the check fails; another UID is not found.
func TestResourcesAndHealth(t *testing.T) {
	h := startHost(t)
	status, b := call(t, "GET", h.URL+"/api/datasources/uid/"+h.UID+"/resources/label-values?label=", "")
	if status != http.StatusBadRequest || !bytes.Contains(b, []byte("label")) {
		t.Errorf("label-values without a label: %d %s, want the plugin's 400", status, b)
	}
	status, b = call(t, "GET", h.URL+"/api/datasources/uid/"+h.UID+"/resources/runtime-catalogue", "")
	if status != http.StatusOK || !bytes.Contains(b, []byte(`"goroutines"`)) {
		t.Errorf("runtime-catalogue: %d %.200s", status, b)
	}
	status, b = call(t, "GET", h.URL+"/api/datasources/uid/"+h.UID+"/health", "")
	var health struct{ Status, Message string }
	if err := json.Unmarshal(b, &health); err != nil || status != http.StatusBadRequest || health.Status != "ERROR" || health.Message == "" {
		t.Errorf("health against a closed port: %d %s (%v), want 400 with status ERROR and a message", status, b, err)
	}
	if status, _ := call(t, "GET", h.URL+"/api/datasources/uid/other/health", ""); status != http.StatusNotFound {
		t.Errorf("another UID: %d, want 404", status)
	}
}

// The settings the browser gets name their secrets (secureJsonFields) and never hold them;
// saving keeps the secrets not sent, sets the ones sent, and makes a new plugin instance.
func TestSettingsNeverSendSecrets(t *testing.T) {
	h := startHost(t)
	url := h.URL + "/api/datasources/uid/" + h.UID
	status, b := call(t, "GET", url, "")
	if status != http.StatusOK || bytes.Contains(b, []byte("s3cret")) || !bytes.Contains(b, []byte(`"secureJsonFields":{"basicAuthPassword":true}`)) {
		t.Fatalf("GET settings: %d %s", status, b)
	}
	before := h.Settings().Backend().DataSourceInstanceSettings.Updated
	var settings map[string]any
	if err := json.Unmarshal(b, &settings); err != nil {
		t.Fatal(err)
	}
	settings["jsonData"].(map[string]any)["httpHeaderName1"] = "X-Scope-OrgID"
	settings["secureJsonData"] = map[string]string{"httpHeaderValue1": "tenant-1"}
	put, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	status, b = call(t, "PUT", url, string(put))
	if status != http.StatusOK || bytes.Contains(b, []byte("s3cret")) || bytes.Contains(b, []byte("tenant-1")) {
		t.Fatalf("PUT settings: %d %s", status, b)
	}
	after := h.Settings().Backend().DataSourceInstanceSettings
	if got := after.DecryptedSecureJSONData; got["basicAuthPassword"] != "s3cret-pw" || got["httpHeaderValue1"] != "tenant-1" {
		t.Errorf("secrets after saving: %v", got)
	}
	if !after.Updated.After(before) || after.UID != h.UID {
		t.Errorf("saved settings: UID %s updated %v (before %v): want the same UID, a later update", after.UID, after.Updated, before)
	}
}
