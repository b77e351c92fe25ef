package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopulse/health/e2e/harness"
)

// record makes the integration tests that call recordBody write the real servers'
// answers they assert on into the testdata/ of the package they test, for that
// package's unit tests (CONTRIBUTING.md, "Tests: where they live"). Without it nothing
// is written.
var record = flag.Bool("record", false, "write the real servers' answers into the tested packages' testdata/")

// recordBody writes body, a JSON answer of a real server, indented, to the file at elem
// under the repository root when -record is set.
func recordBody(t *testing.T, body []byte, elem ...string) {
	t.Helper()
	if !*record {
		return
	}
	var b bytes.Buffer
	if err := json.Indent(&b, body, "", "  "); err != nil {
		t.Fatalf("record %s: not JSON: %v", filepath.Join(elem...), err)
	}
	b.WriteByte('\n')
	writeRecording(t, b.Bytes(), elem...)
}

// writeRecording writes text to the file at elem under the repository root when -record
// is set.
func writeRecording(t *testing.T, text []byte, elem ...string) {
	t.Helper()
	if !*record {
		return
	}
	path := harness.RepoPath(t, elem...)
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatalf("record: %v", err)
	}
	t.Logf("recorded %s", path)
}
