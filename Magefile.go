//go:build mage

package main

import (
	"fmt"
	"os/exec"
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

// Verify is the project's one test command: it builds the backend for this machine, then
// runs gofmt and go vet, every Go test with the race detector (unit, integration against
// real Prometheus/Alertmanager/VictoriaMetrics, end-to-end through the plugin's gRPC
// protocol, the compose check), and the frontend's typecheck, lint and jest tests.
// The frontend must be installed (npm ci) first.
func Verify() error {
	mg.Deps(build.Build.Linux)
	out, err := exec.Command("gofmt", "-l", "pkg", "demo", "e2e", "Magefile.go").Output()
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
	steps := [][]string{
		append([]string{"go", "vet"}, pkgs...),
		append([]string{"go", "test", "-race", "-count=1", "-timeout", "20m"}, pkgs...),
		{"npm", "run", "typecheck"},
		{"npm", "run", "lint"},
		{"npm", "run", "test:ci"},
	}
	for _, s := range steps {
		if err := sh.RunV(s[0], s[1:]...); err != nil {
			return err
		}
	}
	return nil
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
	return pkgs, nil
}
