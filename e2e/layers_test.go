package e2e

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/gopulse/health/e2e/harness"
)

// TestPkgDoesNotImportE2E: no package under pkg/ depends on e2e/, its tests included.
// Unit tests use recorded answers or in-memory inputs; tests against real servers live
// in e2e/.
func TestPkgDoesNotImportE2E(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-test", "-f", "{{.ImportPath}}\t{{join .Deps \" \"}}", "./pkg/...")
	cmd.Dir = harness.RepoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	e2e := harness.ModulePath + "/e2e"
	importers := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		pkg, deps, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		// A test variant is listed as "p [p.test]", its binary as "p.test", an external
		// test package as "p_test [p.test]".
		name, _, _ := strings.Cut(pkg, " ")
		name = strings.TrimSuffix(strings.TrimSuffix(name, ".test"), "_test")
		for _, d := range strings.Fields(deps) {
			if d == e2e || strings.HasPrefix(d, e2e+"/") {
				importers[name] = true
			}
		}
	}
	if !strings.Contains(string(out), harness.ModulePath+"/pkg/plugin\t") {
		t.Fatalf("go list listed no package under pkg/: %s", out)
	}
	for p := range importers {
		t.Errorf("%s imports %s: unit tests use recorded answers in testdata/ or in-memory inputs, tests against real servers go to e2e/", p, e2e)
	}
}
