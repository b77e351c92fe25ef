package e2e

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

// The compose check: docker-compose.yaml cannot be brought up here (no Docker engine), so
// checkStack proves what `docker compose up --build` on a fresh clone relies on: the file
// is valid, its build contexts, Dockerfiles (and what they COPY) and bind-mounted paths
// exist, and every address in the provisioning files (Prometheus targets, Alertmanager
// webhooks, the Grafana data source, the load generator's target) names a compose service
// and a port that service listens on.

const pluginID = "gopulse-health-datasource"

func TestComposeStack(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkStack(context.Background(), filepath.Join(root, "docker-compose.yaml"), filepath.Join(root, "provisioning")) {
		t.Error(p)
	}
}

// TestComposeCheckFindsMistakes breaks a copy of the stack in one place at a time and
// expects checkStack to say so.
func TestComposeCheckFindsMistakes(t *testing.T) {
	for _, c := range []struct {
		name      string
		file      string      // relative to the repository
		edits     [][2]string // old (once in file) → new
		wantProbs []string
	}{
		{"invalid compose file", "docker-compose.yaml",
			[][2]string{{"    ports:\n      - '127.0.0.1:8080:8080'", "    ports: 8080"}},
			[]string{"docker-compose.yaml is not a valid compose file"}},
		{"depends on a missing service", "docker-compose.yaml",
			[][2]string{{"    depends_on:\n      - demo\n", "    depends_on:\n      - shop\n"}},
			[]string{`docker-compose.yaml is not a valid compose file: service "loadgen" depends on undefined service "shop"`}},
		{"service renamed", "docker-compose.yaml",
			[][2]string{
				{"  demo:\n    <<: *demo-image", "  shop:\n    <<: *demo-image"},
				{"      - alertmanager\n      - demo\n", "      - alertmanager\n      - shop\n"},
				{"    depends_on:\n      - demo\n", "    depends_on:\n      - shop\n"},
			},
			[]string{`prometheus.yml job demo: target demo:8080: no compose service "demo"`,
				`service loadgen: -target http://demo:8080: no compose service "demo"`}},
		{"demo listens elsewhere", "docker-compose.yaml",
			[][2]string{{"'-listen', ':8080']\n    ports:\n      - '127.0.0.1:8080:8080'", "'-listen', ':8081']\n    ports:\n      - '127.0.0.1:8080:8081'"}},
			[]string{`prometheus.yml job demo: target demo:8080: service demo does not listen on port 8080 (it has [8081])`,
				`service loadgen: -target http://demo:8080: service demo does not listen on port 8080`}},
		{"-listen not published", "docker-compose.yaml",
			[][2]string{{"'-listen', ':8090']", "'-listen', ':8099']"}},
			[]string{`service loadgen: -listen :8099: port 8099 is not in its ports or expose ([8090])`}},
		{"missing bind source", "docker-compose.yaml",
			[][2]string{{"./provisioning/prometheus:/etc/prometheus:ro", "./provisioning/prom:/etc/prometheus:ro"}},
			[]string{"service prometheus: bind mount source", "provisioning/prom does not exist",
				"service prometheus: --config.file /etc/prometheus/prometheus.yml"}},
		{"missing Dockerfile", "docker-compose.yaml",
			[][2]string{{"dockerfile: demo/Dockerfile", "dockerfile: demo/Containerfile"}},
			[]string{"service demo: Dockerfile", "demo/Containerfile"}},
		{"grafana without the plugin allowed", "docker-compose.yaml",
			[][2]string{{"GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS: gopulse-health-datasource", "GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS: other"}},
			[]string{"service grafana: GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS does not allow " + pluginID}},
		{"dashboards not mounted", "docker-compose.yaml",
			[][2]string{{"./dashboards:/var/lib/grafana/dashboards/gopulse:ro", "./dashboards:/var/lib/grafana/dashboards/other:ro"}},
			[]string{"dashboards/gopulse.yml provider gopulse: path /var/lib/grafana/dashboards/gopulse is not mounted"}},
		{"Dockerfile copies a missing file", "Dockerfile",
			[][2]string{{"COPY pkg/ pkg/", "COPY pkg/ pkg/\nCOPY missing.txt ./"}},
			[]string{`service grafana: Dockerfile: COPY missing.txt: not in the build context`}},
		{"Dockerfile copies an ignored path", ".dockerignore",
			[][2]string{{"/gpx_health*", "/gpx_health*\npkg"}},
			[]string{`service grafana: Dockerfile: COPY pkg/: excluded by .dockerignore`}},
		{"scrape target typo", "provisioning/prometheus/prometheus.yml",
			[][2]string{{"targets: ['demo:8080']", "targets: ['dmeo:8080']"}},
			[]string{`prometheus.yml job demo: target dmeo:8080: no compose service "dmeo"`}},
		{"job demo gone", "provisioning/prometheus/prometheus.yml",
			[][2]string{{"job_name: demo", "job_name: shop"}},
			[]string{`prometheus.yml: no scrape job "demo"`}},
		{"alerting to the wrong port", "provisioning/prometheus/prometheus.yml",
			[][2]string{{"        - targets: ['alertmanager:9093']\n\nscrape_configs", "        - targets: ['alertmanager:9094']\n\nscrape_configs"}},
			[]string{`prometheus.yml alerting: target alertmanager:9094: service alertmanager does not listen on port 9094`}},
		{"no rule files", "provisioning/prometheus/prometheus.yml",
			[][2]string{{"rules/*.yml", "alerts/*.yml"}},
			[]string{`prometheus.yml rule_files alerts/*.yml: matches no file`}},
		{"data source URL", "provisioning/datasources/gopulse.yml",
			[][2]string{{"url: http://prometheus:9090", "url: http://prom:9090"}},
			[]string{`datasources/gopulse.yml GoPulse url: http://prom:9090: no compose service "prom"`}},
		{"data source alertmanagerUrl", "provisioning/datasources/gopulse.yml",
			[][2]string{{"alertmanagerUrl: http://alertmanager:9093", "alertmanagerUrl: http://alertmanager:9094"}},
			[]string{`datasources/gopulse.yml GoPulse jsonData.alertmanagerUrl: http://alertmanager:9094: service alertmanager does not listen on port 9094`}},
		{"webhook outside the stack", "provisioning/alertmanager/alertmanager.yml",
			[][2]string{{"      - url: http://loadgen:8090/alerts\n        send_resolved: true\n  - name: oncall", "      - url: https://hooks.example.com/x\n        send_resolved: true\n  - name: oncall"}},
			[]string{`alertmanager.yml receiver pager: webhook https://hooks.example.com/x: no compose service "hooks.example.com"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyStack(t)
			for _, e := range c.edits {
				mutate(t, filepath.Join(dir, c.file), e[0], e[1])
			}
			problems := checkStack(context.Background(), filepath.Join(dir, "docker-compose.yaml"), filepath.Join(dir, "provisioning"))
			all := strings.Join(problems, "\n")
			for _, want := range c.wantProbs {
				if !strings.Contains(all, want) {
					t.Errorf("no problem mentions %q; got:\n%s", want, all)
				}
			}
		})
	}
}

// copyStack makes a temporary copy of the repository's stack: the files that the
// mutations change are copied, the rest of the top level is symlinked.
func copyStack(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copied := []string{"docker-compose.yaml", "Dockerfile", ".dockerignore", "provisioning"}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !slices.Contains(copied, e.Name()) {
			if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, name := range copied {
		src, dst := filepath.Join(root, name), filepath.Join(dir, name)
		fi, err := os.Stat(src)
		if err == nil && fi.IsDir() {
			err = os.CopyFS(dst, os.DirFS(src))
		} else if err == nil {
			var b []byte
			if b, err = os.ReadFile(src); err == nil {
				err = os.WriteFile(dst, b, 0o644)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if problems := checkStack(context.Background(), filepath.Join(dir, "docker-compose.yaml"), filepath.Join(dir, "provisioning")); len(problems) > 0 {
		t.Fatalf("the unmodified copy has problems:\n%s", strings.Join(problems, "\n"))
	}
	return dir
}

func mutate(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), old); n != 1 {
		t.Fatalf("%s holds %q %d times, want once", path, old, n)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkStack checks a compose file against a provisioning directory and returns one
// message per problem.
func checkStack(ctx context.Context, composeFile, provisioningDir string) []string {
	s := &stackCheck{provisioning: provisioningDir}
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithWorkingDirectory(filepath.Dir(composeFile)), cli.WithName("gopulse"))
	if err == nil {
		s.project, err = opts.LoadProject(ctx)
	}
	if err != nil {
		return []string{fmt.Sprintf("%s is not a valid compose file: %v", filepath.Base(composeFile), err)}
	}
	for _, name := range []string{"grafana", "prometheus", "alertmanager", "demo", "loadgen"} {
		if _, ok := s.project.Services[name]; !ok {
			s.problemf("no service %q", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.project.Services)) {
		s.checkService(s.project.Services[name])
	}
	s.checkPrometheus()
	s.checkAlertmanager()
	s.checkGrafana()
	return s.problems
}

type stackCheck struct {
	project      *types.Project
	provisioning string
	problems     []string
}

func (s *stackCheck) problemf(format string, args ...any) {
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

// checkService: image or build, build context, Dockerfile and its COPY sources, bind
// mounts, and that a -listen flag names a port of the service.
func (s *stackCheck) checkService(svc types.ServiceConfig) {
	if svc.Build == nil && svc.Image == "" {
		s.problemf("service %s: neither image nor build", svc.Name)
	}
	if b := svc.Build; b != nil {
		if fi, err := os.Stat(b.Context); err != nil || !fi.IsDir() {
			s.problemf("service %s: build context %s is not a directory", svc.Name, b.Context)
		} else {
			dockerfile := b.Dockerfile
			if dockerfile == "" {
				dockerfile = "Dockerfile"
			}
			if !filepath.IsAbs(dockerfile) {
				dockerfile = filepath.Join(b.Context, dockerfile)
			}
			if _, err := os.Stat(dockerfile); err != nil {
				s.problemf("service %s: Dockerfile %s does not exist", svc.Name, dockerfile)
			} else {
				s.checkDockerfile(svc.Name, b.Context, dockerfile)
			}
		}
	}
	for _, v := range svc.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if _, err := os.Stat(v.Source); err != nil {
			s.problemf("service %s: bind mount source %s does not exist", svc.Name, v.Source)
		}
	}
	if listen := flagValue(svc.Command, "listen"); listen != "" {
		_, port, err := net.SplitHostPort(listen)
		if err != nil {
			s.problemf("service %s: -listen %s: %v", svc.Name, listen, err)
		} else if ports := listeningPorts(svc); !slices.Contains(ports, port) {
			s.problemf("service %s: -listen %s: port %s is not in its ports or expose (%v)", svc.Name, listen, port, ports)
		}
	}
	if target := flagValue(svc.Command, "target"); target != "" {
		s.checkURL(fmt.Sprintf("service %s: -target %s", svc.Name, target), target, svc.Name)
	}
}

// checkDockerfile: every COPY/ADD source (not --from a stage) is in the build context and
// not excluded by .dockerignore (whose entries this check reads as plain paths).
func (s *stackCheck) checkDockerfile(service, context, dockerfile string) {
	b, err := os.ReadFile(dockerfile)
	if err != nil {
		s.problemf("service %s: %v", service, err)
		return
	}
	var ignored []string
	if ig, err := os.ReadFile(filepath.Join(context, ".dockerignore")); err == nil {
		for _, l := range strings.Split(string(ig), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				ignored = append(ignored, strings.Trim(l, "/"))
			}
		}
	}
	sc := bufio.NewScanner(strings.NewReader(strings.ReplaceAll(string(b), "\\\n", " ")))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || (!strings.EqualFold(fields[0], "COPY") && !strings.EqualFold(fields[0], "ADD")) {
			continue
		}
		args := fields[1:]
		if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--from=") }) {
			continue
		}
		args = slices.DeleteFunc(args, func(a string) bool { return strings.HasPrefix(a, "--") })
		for _, src := range args[:len(args)-1] {
			what := fmt.Sprintf("service %s: %s: COPY %s", service, filepath.Base(dockerfile), src)
			if matches, _ := filepath.Glob(filepath.Join(context, src)); len(matches) == 0 {
				s.problemf("%s: not in the build context", what)
			}
			if first := strings.Split(filepath.Clean(src), string(filepath.Separator))[0]; slices.Contains(ignored, first) {
				s.problemf("%s: excluded by .dockerignore", what)
			}
		}
	}
}

// flagValue returns the value of -name or --name (as "-name value" or "-name=value").
func flagValue(args []string, name string) string {
	for i, a := range args {
		trimmed := strings.TrimLeft(a, "-")
		if trimmed == a {
			continue
		}
		if trimmed == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(trimmed, name+"="); ok {
			return v
		}
	}
	return ""
}

// listeningPorts are the container ports of a service: its ports' targets and expose.
func listeningPorts(svc types.ServiceConfig) []string {
	var ports []string
	for _, p := range svc.Ports {
		ports = append(ports, strconv.FormatUint(uint64(p.Target), 10))
	}
	for _, e := range svc.Expose {
		ports = append(ports, strings.Split(e, "/")[0])
	}
	return ports
}

// checkURL checks that a URL's host:port is a compose service listening on that port;
// localhost is the service self.
func (s *stackCheck) checkURL(what, raw, self string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		s.problemf("%s: not an absolute URL", what)
		return
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	s.checkHostPort(what, net.JoinHostPort(u.Hostname(), port), self)
}

func (s *stackCheck) checkHostPort(what, hostport, self string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		s.problemf("%s: %v", what, err)
		return
	}
	if host == "localhost" || host == "127.0.0.1" {
		host = self
	}
	svc, ok := s.project.Services[host]
	if !ok {
		s.problemf("%s: no compose service %q", what, host)
		return
	}
	if ports := listeningPorts(svc); !slices.Contains(ports, port) {
		s.problemf("%s: service %s does not listen on port %s (it has %v)", what, host, port, ports)
	}
}

// hostPath maps a path inside a service's container to the host through the service's
// bind mounts ("" when no bind mount holds it).
func hostPath(svc types.ServiceConfig, containerPath string) string {
	for _, v := range svc.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if rel, err := filepath.Rel(v.Target, containerPath); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return filepath.Join(v.Source, rel)
		}
	}
	return ""
}

// checkMounted: the service reads want (a host path in the provisioning directory) at
// containerPath.
func (s *stackCheck) checkMounted(what, service, containerPath, want string) {
	svc, ok := s.project.Services[service]
	if !ok {
		return
	}
	got := hostPath(svc, containerPath)
	if got == "" {
		s.problemf("%s: %s is not mounted into service %s", what, containerPath, service)
		return
	}
	if !sameFile(got, want) {
		s.problemf("%s: %s of service %s is %s on the host, want %s", what, containerPath, service, got, want)
	}
}

func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return yaml.Unmarshal(b, v)
}

type staticConfigs []struct {
	Targets []string `yaml:"targets"`
}

func (s *stackCheck) checkPrometheus() {
	path := filepath.Join(s.provisioning, "prometheus", "prometheus.yml")
	if svc, ok := s.project.Services["prometheus"]; ok {
		s.checkMounted("service prometheus: --config.file "+flagValue(svc.Command, "config.file"), "prometheus", flagValue(svc.Command, "config.file"), path)
	}
	var cfg struct {
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []struct {
				StaticConfigs staticConfigs `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
		ScrapeConfigs []struct {
			JobName       string        `yaml:"job_name"`
			StaticConfigs staticConfigs `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := readYAML(path, &cfg); err != nil {
		s.problemf("prometheus.yml: %v", err)
		return
	}
	for _, rf := range cfg.RuleFiles {
		if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), rf)); len(matches) == 0 || filepath.IsAbs(rf) {
			s.problemf("prometheus.yml rule_files %s: matches no file beside the config", rf)
		}
	}
	if len(cfg.RuleFiles) == 0 {
		s.problemf("prometheus.yml: no rule_files")
	}
	jobs := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		jobs[sc.JobName] = true
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				s.checkHostPort(fmt.Sprintf("prometheus.yml job %s: target %s", sc.JobName, target), target, "prometheus")
			}
		}
	}
	for _, job := range []string{"prometheus", "demo", "alertmanager"} {
		if !jobs[job] {
			s.problemf("prometheus.yml: no scrape job %q", job)
		}
	}
	n := 0
	for _, am := range cfg.Alerting.Alertmanagers {
		for _, st := range am.StaticConfigs {
			for _, target := range st.Targets {
				n++
				s.checkHostPort("prometheus.yml alerting: target "+target, target, "prometheus")
			}
		}
	}
	if n == 0 {
		s.problemf("prometheus.yml: alerts go to no Alertmanager")
	}
}

func (s *stackCheck) checkAlertmanager() {
	path := filepath.Join(s.provisioning, "alertmanager", "alertmanager.yml")
	if svc, ok := s.project.Services["alertmanager"]; ok {
		s.checkMounted("service alertmanager: --config.file "+flagValue(svc.Command, "config.file"), "alertmanager", flagValue(svc.Command, "config.file"), path)
	}
	var cfg struct {
		Receivers []struct {
			Name           string `yaml:"name"`
			WebhookConfigs []struct {
				URL string `yaml:"url"`
			} `yaml:"webhook_configs"`
		} `yaml:"receivers"`
	}
	if err := readYAML(path, &cfg); err != nil {
		s.problemf("alertmanager.yml: %v", err)
		return
	}
	for _, r := range cfg.Receivers {
		for _, w := range r.WebhookConfigs {
			s.checkURL(fmt.Sprintf("alertmanager.yml receiver %s: webhook %s", r.Name, w.URL), w.URL, "alertmanager")
		}
	}
}

func (s *stackCheck) checkGrafana() {
	svc, ok := s.project.Services["grafana"]
	if !ok {
		return
	}
	allowed := svc.Environment["GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS"]
	if allowed == nil || !slices.Contains(strings.Split(*allowed, ","), pluginID) {
		s.problemf("service grafana: GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS does not allow %s", pluginID)
	}
	for _, dir := range []string{"datasources", "dashboards"} {
		s.checkMounted("service grafana: provisioning", "grafana", "/etc/grafana/provisioning/"+dir, filepath.Join(s.provisioning, dir))
	}

	var ds struct {
		Datasources []struct {
			Name     string         `yaml:"name"`
			Type     string         `yaml:"type"`
			URL      string         `yaml:"url"`
			JSONData map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	if err := readYAML(filepath.Join(s.provisioning, "datasources", "gopulse.yml"), &ds); err != nil {
		s.problemf("datasources/gopulse.yml: %v", err)
	}
	found := false
	for _, d := range ds.Datasources {
		if d.Type != pluginID {
			continue
		}
		found = true
		s.checkURL(fmt.Sprintf("datasources/gopulse.yml %s url: %s", d.Name, d.URL), d.URL, "grafana")
		if am, _ := d.JSONData["alertmanagerUrl"].(string); am != "" {
			s.checkURL(fmt.Sprintf("datasources/gopulse.yml %s jsonData.alertmanagerUrl: %s", d.Name, am), am, "grafana")
		}
	}
	if !found {
		s.problemf("datasources/gopulse.yml: no %s data source", pluginID)
	}

	var dash struct {
		Providers []struct {
			Name    string `yaml:"name"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := readYAML(filepath.Join(s.provisioning, "dashboards", "gopulse.yml"), &dash); err != nil {
		s.problemf("dashboards/gopulse.yml: %v", err)
	}
	if len(dash.Providers) == 0 {
		s.problemf("dashboards/gopulse.yml: no dashboard provider")
	}
	for _, p := range dash.Providers {
		what := fmt.Sprintf("dashboards/gopulse.yml provider %s: path %s", p.Name, p.Options.Path)
		host := hostPath(svc, p.Options.Path)
		if host == "" {
			s.problemf("%s is not mounted into service grafana", what)
			continue
		}
		if matches, _ := filepath.Glob(filepath.Join(host, "*.json")); len(matches) == 0 {
			s.problemf("%s: no dashboards in %s", what, host)
		}
	}
}
