package host

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
)

// Node returns the node binary; a missing one fails the test.
func Node(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("host: node is not installed (Node 20 builds the host page and drives the browser): %v", err)
	}
	return node
}

// BuildPage builds the host page (e2e/host/page, with esbuild from node_modules) into a
// temporary directory and returns it. The page is test tooling: it is never written to dist/.
func BuildPage(t testing.TB) string {
	t.Helper()
	root := harness.RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "node_modules", "esbuild")); err != nil {
		t.Fatalf("host: node_modules has no esbuild (run `npm ci`): %v", err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, Node(t), filepath.Join(root, "e2e", "host", "build.mjs"), dir)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("host: building the host page: %v\n%s", err, out)
	}
	t.Logf("host: page built in %v", time.Since(start).Round(time.Millisecond))
	return dir
}

// Dist returns the built plugin's dist/ (module.js from `npm run build`); a missing build
// fails the test.
func Dist(t testing.TB) string {
	t.Helper()
	dist := harness.RepoPath(t, "dist")
	if _, err := os.Stat(filepath.Join(dist, "module.js")); err != nil {
		t.Fatalf("host: dist/module.js is missing: build the frontend with `npm run build` (%v)", err)
	}
	return dist
}
