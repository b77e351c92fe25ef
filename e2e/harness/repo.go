package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ModulePath is the Go module of the repository under test.
const ModulePath = "github.com/gopulse/health"

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// RepoRoot returns the repository root: the nearest directory, from the working
// directory up, whose go.mod declares ModulePath.
func RepoRoot(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err == nil && bytes.Contains(b, []byte("module "+ModulePath+"\n")) {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = fmt.Errorf("no go.mod for %s above the working directory", ModulePath)
				return
			}
			dir = parent
		}
	})
	if rootErr != nil {
		t.Fatalf("harness: find repository root: %v", rootErr)
	}
	return rootDir
}

// RepoPath joins elem to the repository root.
func RepoPath(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{RepoRoot(t)}, elem...)...)
}

// InCI reports whether the CI environment variable is set.
func InCI() bool { return os.Getenv("CI") != "" }

// serverBinary finds a server binary: $envVar, else the Debian path, else $PATH.
// A missing binary fails the test with the Debian package to install.
func serverBinary(t testing.TB, envVar, debianPath, pkg string) string {
	t.Helper()
	if p := os.Getenv(envVar); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("harness: %s=%s: %v", envVar, p, err)
		}
		return p
	}
	if _, err := os.Stat(debianPath); err == nil {
		return debianPath
	}
	if p, err := exec.LookPath(filepath.Base(debianPath)); err == nil {
		return p
	}
	t.Fatalf("harness: %s not found: install the Debian package %q (apt-get install -y %s) or set %s", debianPath, pkg, pkg, envVar)
	return ""
}

// PrometheusBinary is the prometheus executable (Debian package prometheus).
func PrometheusBinary(t testing.TB) string {
	t.Helper()
	return serverBinary(t, "GOPULSE_PROMETHEUS_BIN", "/usr/bin/prometheus", "prometheus")
}

// AlertmanagerBinary is the alertmanager executable (Debian package prometheus-alertmanager).
func AlertmanagerBinary(t testing.TB) string {
	t.Helper()
	return serverBinary(t, "GOPULSE_ALERTMANAGER_BIN", "/usr/bin/prometheus-alertmanager", "prometheus-alertmanager")
}

// VictoriaMetricsBinary is the victoria-metrics executable (Debian package victoria-metrics).
func VictoriaMetricsBinary(t testing.TB) string {
	t.Helper()
	return serverBinary(t, "GOPULSE_VICTORIAMETRICS_BIN", "/usr/bin/victoria-metrics", "victoria-metrics")
}

// buildCache builds Go commands of this module once per test binary.
type buildResult struct {
	path string
	err  error
}

var (
	buildMu    sync.Mutex
	buildOnces = map[string]*sync.Once{}
	builds     = map[string]*buildResult{}
	buildDir   string
)

// GoBuild builds the package pkg (relative to the repository root, e.g.
// "./demo/cmd/app") once per test binary and returns the executable's path.
// Executables live in one temporary directory removed by RemoveBuilds.
func GoBuild(t testing.TB, pkg string) string {
	t.Helper()
	return goBuild(t, pkg, "")
}

func goBuild(t testing.TB, pkg, name string) string {
	t.Helper()
	root := RepoRoot(t)
	buildMu.Lock()
	once, ok := buildOnces[pkg]
	if !ok {
		once = new(sync.Once)
		buildOnces[pkg] = once
	}
	buildMu.Unlock()
	once.Do(func() {
		res := &buildResult{}
		defer func() {
			buildMu.Lock()
			builds[pkg] = res
			buildMu.Unlock()
		}()
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(pkg))); err != nil {
			res.err = fmt.Errorf("package %s is missing in %s: %w", pkg, root, err)
			return
		}
		dir, err := buildDirectory()
		if err != nil {
			res.err = err
			return
		}
		if name == "" {
			name = strings.NewReplacer("/", "_", ".", "").Replace(strings.TrimPrefix(pkg, "./"))
		}
		out := filepath.Join(dir, name)
		start := time.Now()
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		b, err := cmd.CombinedOutput()
		if err != nil {
			res.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
			return
		}
		t.Logf("harness: built %s in %v", pkg, time.Since(start).Round(time.Millisecond))
		res.path = out
	})
	buildMu.Lock()
	res := builds[pkg]
	buildMu.Unlock()
	if res == nil || res.err != nil {
		var err error = fmt.Errorf("build of %s did not finish", pkg)
		if res != nil {
			err = res.err
		}
		t.Fatalf("harness: %v", err)
	}
	return res.path
}

func buildDirectory() (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir == "" {
		d, err := os.MkdirTemp("", "gopulse-e2e-bin-")
		if err != nil {
			return "", err
		}
		buildDir = d
	}
	return buildDir, nil
}

// RemoveBuilds deletes the executables built by GoBuild. Call it from TestMain
// after the tests ran (e.g. through goleak.Cleanup).
func RemoveBuilds() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
		buildDir = ""
	}
}

// PluginBinary returns the plugin executable: $GOPULSE_PLUGIN_BINARY, else
// dist/gpx_health_linux_amd64. When neither exists it fails the test in CI (the
// build step must produce it) and otherwise builds ./pkg once per test binary.
func PluginBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("GOPULSE_PLUGIN_BINARY"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("harness: GOPULSE_PLUGIN_BINARY=%s: %v", p, err)
		}
		return p
	}
	dist := RepoPath(t, "dist", "gpx_health_linux_amd64")
	if _, err := os.Stat(dist); err == nil {
		return dist
	}
	if InCI() {
		t.Fatalf("harness: plugin binary %s is missing: CI must build it first (go tool mage -v build:linux) or set GOPULSE_PLUGIN_BINARY", dist)
	}
	t.Logf("harness: %s is missing; building ./pkg for this test run", dist)
	return goBuild(t, "./pkg", "gpx_health")
}
