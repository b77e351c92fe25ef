//go:build mage

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	// mage:import
	build "github.com/grafana/grafana-plugin-sdk-go/build"
	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// plugin.json lives at the top level of the repository, not in src/.
func init() {
	_ = build.SetBeforeBuildCallback(func(cfg build.Config) (build.Config, error) {
		cfg.PluginJSONPath = "."
		return cfg, nil
	})
}

// Default configures the default target.
var Default = build.BuildAll

// CI is the one test command, from a fresh machine to a verdict: Setup, the frontend's
// install and build, then Verify against both server generations.
func CI() error {
	mg.Deps(Setup)
	for _, s := range [][]string{{"npm", "ci", "--no-audit", "--no-fund"}, {"npm", "run", "build"}} {
		if err := sh.RunV(s[0], s[1:]...); err != nil {
			return err
		}
	}
	mg.Deps(Verify)
	return nil
}

// Setup installs what the tests need and a fresh machine lacks: the Debian servers and
// Chromium (apt-get, as root), and the servers built from Go source into the cache
// (see sourceServers). Each step is skipped when its result is already there.
func Setup() error {
	if err := installDebian(); err != nil {
		return err
	}
	for _, s := range sourceServers {
		if err := s.ensure(); err != nil {
			return err
		}
	}
	return nil
}

// Verify runs gofmt and go vet, every Go test with the race detector (unit, integration
// against real servers, end-to-end through the plugin's gRPC protocol, the compose
// check) with the Debian servers, the server tests again with the current releases
// built by Setup, and the frontend's typecheck, lint and jest tests. Setup must have run
// and the frontend must be installed (npm ci) and built (npm run build).
func Verify() error {
	mg.Deps(build.Build.Linux)
	out, err := exec.Command("gofmt", "-l", "pkg", "demo", "e2e", "internal", "dashboards", "provisioning", "Magefile.go").Output()
	if err != nil {
		return fmt.Errorf("gofmt: %w", err)
	}
	if files := strings.TrimSpace(string(out)); files != "" {
		return fmt.Errorf("gofmt would change:\n%s", files)
	}
	pkgs, err := goPackages()
	if err != nil {
		return err
	}
	env, current, err := serverEnv()
	if err != nil {
		return err
	}
	// Tests keep what a reader checks by eye (the browser's screenshot of every editor)
	// under artifacts/<run>/ (go test -artifacts).
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	for _, run := range []string{"debian", "current"} {
		if err := os.MkdirAll(filepath.Join(root, "artifacts", run), 0o755); err != nil {
			return err
		}
	}
	goTest := func(run string, pkgs ...string) []string {
		out := filepath.Join(root, "artifacts", run)
		return append([]string{"go", "test", "-race", "-count=1", "-timeout", "30m", "-artifacts", "-outputdir", out}, pkgs...)
	}
	steps := []struct {
		name string
		env  map[string]string
		cmd  []string
	}{
		{"go vet", nil, append([]string{"go", "vet"}, pkgs...)},
		{"Go tests, Debian servers (Prometheus 2.42, Alertmanager 0.25)", env, goTest("debian", pkgs...)},
		{"server tests, current releases (" + currentReleases() + ")", current, goTest("current", serverTestPackages...)},
		{"typecheck", nil, []string{"npm", "run", "typecheck"}},
		{"lint", nil, []string{"npm", "run", "lint"}},
		{"jest", nil, []string{"npm", "run", "test:ci"}},
	}
	for _, s := range steps {
		fmt.Printf("==> %s\n", s.name)
		if err := sh.RunWithV(s.env, s.cmd[0], s.cmd[1:]...); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// serverTestPackages start real servers (the harness, promtool and amtool); they run a
// second time against the current releases.
var serverTestPackages = []string{"./e2e/...", "./provisioning/..."}

// debianPackages are the servers and tools the tests start, by the executable that
// shows each one is installed.
var debianPackages = []struct{ bin, pkg string }{
	{"prometheus", "prometheus"},
	{"promtool", "prometheus"},
	{"prometheus-alertmanager", "prometheus-alertmanager"},
	{"amtool", "prometheus-alertmanager"},
	{"victoria-metrics", "victoria-metrics"},
	{"chromium", "chromium"},
	{"etcd", "etcd-server"},
	{"caddy", "caddy"},
}

func installDebian() error {
	var missing []string
	for _, d := range debianPackages {
		if _, err := exec.LookPath(d.bin); err != nil && !slices.Contains(missing, d.pkg) {
			missing = append(missing, d.pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("missing Debian packages; install them as root: apt-get install -y %s", strings.Join(missing, " "))
	}
	env := map[string]string{"DEBIAN_FRONTEND": "noninteractive"}
	if err := sh.RunWithV(env, "apt-get", "update", "-q"); err != nil {
		return err
	}
	return sh.RunWithV(env, "apt-get", append([]string{"install", "-y", "-q", "--no-install-recommends"}, missing...)...)
}

// sourceServer is a server release built from its Go module into the cache, once per
// version: a warm machine reuses the binaries.
type sourceServer struct {
	name, version string
	module        string   // module path; the release's tag is v<moduleVersion>
	moduleVersion string   // the module's version for this release
	cmds          []string // packages under module/cmd
	env           string   // variable that points the harness at the main binary
	// uiDirs are directories the release embeds (go:embed) but its module lacks: the
	// release builds its web UI with npm. The build gives each a placeholder page; the
	// HTTP API, all the tests use, does not depend on them.
	uiDirs []string
	// tags are the release's build tags (its .promu.yml).
	tags string
	// toolchain is the Go toolchain the module's go.mod asks for when the local Go is
	// older (GOTOOLCHAIN; the go command fetches it from the module proxy).
	toolchain string
}

var sourceServers = []sourceServer{
	{"prometheus", "3.16.0", "github.com/prometheus/prometheus", "0.316.0", []string{"prometheus", "promtool"}, "GOPULSE_PROMETHEUS_BIN", nil, "", ""},
	{"alertmanager", "0.35.0", "github.com/prometheus/alertmanager", "0.35.0", []string{"alertmanager", "amtool"}, "GOPULSE_ALERTMANAGER_BIN", []string{"ui/app/dist"}, "", ""},
	// Without slicelabels, Thanos's sidecar panics in gRPC's buffer pool on its first answer.
	{"thanos", "0.42.5", "github.com/thanos-io/thanos", "0.42.5", []string{"thanos"}, "GOPULSE_THANOS_BIN", nil, "netgo,slicelabels", "go1.27.3"},
}

// dir is where the release's binaries live: $GOPULSE_CACHE, else the user's cache
// directory, then gopulse/servers/<name>-<version>.
func (s sourceServer) dir() (string, error) {
	root := os.Getenv("GOPULSE_CACHE")
	if root == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		root = filepath.Join(c, "gopulse")
	}
	return filepath.Join(root, "servers", s.name+"-"+s.version), nil
}

func (s sourceServer) ensure() error {
	dir, err := s.dir()
	if err != nil {
		return err
	}
	var missing []string
	for _, c := range s.cmds {
		if _, err := os.Stat(filepath.Join(dir, c)); err != nil {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	fmt.Printf("==> building %s %s into %s (once per machine)\n", s.name, s.version, dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Build into a temporary directory, then move: an interrupted build leaves no
	// binary that a later run would take for a good one.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), s.name+"-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := s.build(tmp, missing); err != nil {
		return fmt.Errorf("build %s %s: %w", s.name, s.version, err)
	}
	for _, c := range missing {
		if err := os.Rename(filepath.Join(tmp, c), filepath.Join(dir, c)); err != nil {
			return err
		}
	}
	return nil
}

// build writes the release's commands into out. It builds inside a writable copy of the
// module, as the release does: `go install module@version` refuses modules whose go.mod
// has replace directives (Thanos), and a copy can take the uiDirs placeholders.
func (s sourceServer) build(out string, cmds []string) error {
	env := map[string]string{}
	if s.toolchain != "" {
		env["GOTOOLCHAIN"] = s.toolchain
	}
	mod := s.module + "@v" + s.moduleVersion
	if err := sh.RunWith(env, "go", "mod", "download", mod); err != nil {
		return err
	}
	src, err := sh.OutputWith(env, "go", "list", "-m", "-f", "{{.Dir}}", mod)
	if err != nil {
		return err
	}
	work := filepath.Join(out, "src")
	if err := sh.Run("cp", "-r", src, work); err != nil {
		return err
	}
	if err := sh.Run("chmod", "-R", "u+w", work); err != nil {
		return err
	}
	for _, d := range s.uiDirs {
		if err := os.MkdirAll(filepath.Join(work, d), 0o755); err != nil {
			return err
		}
		page := []byte("<!doctype html><title>" + s.name + " " + s.version + "</title><p>Built without its web UI; the API is complete.\n")
		if err := os.WriteFile(filepath.Join(work, d, "index.html"), page, 0o644); err != nil {
			return err
		}
	}
	// The release sets its version with -X; a plain build reports an empty one.
	args := []string{"build", "-trimpath", "-ldflags", "-X github.com/prometheus/common/version.Version=" + s.version}
	if s.tags != "" {
		args = append(args, "-tags", s.tags)
	}
	// A go.work in the module (Prometheus has one) names directories its zip lacks.
	env["GOWORK"] = "off"
	for _, c := range cmds {
		cmd := exec.Command("go", append(args, "-o", filepath.Join(out, c), "./cmd/"+c)...)
		cmd.Dir, cmd.Stdout, cmd.Stderr, cmd.Env = work, os.Stdout, os.Stderr, os.Environ()
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if err := cmd.Run(); err != nil {
			return err
		}
	}
	return nil
}

// serverEnv gives the environment of the two test runs. Both find the cached builds
// that have no Debian package (Thanos) unless the caller points elsewhere; the second
// also gets the current Prometheus and Alertmanager: their variables, and their
// directories first on PATH (promtool, amtool).
func serverEnv() (debian, current map[string]string, err error) {
	debian, current = map[string]string{}, map[string]string{}
	var dirs []string
	for _, s := range sourceServers {
		dir, err := s.dir()
		if err != nil {
			return nil, nil, err
		}
		bin := filepath.Join(dir, s.cmds[0])
		if v := os.Getenv(s.env); v != "" && s.name == "thanos" {
			bin = v
		}
		if s.name == "thanos" {
			debian[s.env] = bin
		}
		current[s.env] = bin
		dirs = append(dirs, dir)
	}
	current["PATH"] = strings.Join(append(dirs, os.Getenv("PATH")), string(os.PathListSeparator))
	return debian, current, nil
}

func currentReleases() string {
	var names []string
	for _, s := range sourceServers {
		names = append(names, s.name+" "+s.version)
	}
	return strings.Join(names, ", ")
}

// goPackages lists the module's packages, leaving out Go code that npm packages ship
// under node_modules.
func goPackages() ([]string, error) {
	out, err := sh.Output("go", "list", "./...")
	if err != nil {
		return nil, err
	}
	var pkgs []string
	for _, p := range strings.Fields(out) {
		if !strings.Contains(p, "/node_modules/") {
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) == 0 {
		return nil, errors.New("go list found no packages")
	}
	return pkgs, nil
}
