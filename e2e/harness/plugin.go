package harness

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	sdkgrpcplugin "github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	sdklog "github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/datasourcetest"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Handshake is the go-plugin handshake of Grafana backend plugins (protocol v2).
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  sdkgrpcplugin.ProtocolVersion,
	MagicCookieKey:   sdkgrpcplugin.MagicCookieKey,
	MagicCookieValue: sdkgrpcplugin.MagicCookieValue,
}

// pluginSet lists the services the SDK serves (grpcplugin.Serve), by the names
// Grafana dispenses.
func pluginSet() goplugin.PluginSet {
	return goplugin.PluginSet{
		"diagnostics": &sdkgrpcplugin.DiagnosticsGRPCPlugin{},
		"resource":    &sdkgrpcplugin.ResourceGRPCPlugin{},
		"data":        &sdkgrpcplugin.DataGRPCPlugin{},
		"stream":      &sdkgrpcplugin.StreamGRPCPlugin{},
	}
}

// maxMsgSize matches Grafana's default receive limit for plugin answers.
const maxMsgSize = 16 << 20

// PluginOptions configures StartPluginWith.
type PluginOptions struct {
	// Binary defaults to PluginBinary(t).
	Binary string
	// Env is added to the plugin's environment (GF_* variables, ...).
	Env []string
	// StartTimeout bounds the handshake; default 30s.
	StartTimeout time.Duration
}

// StartPlugin launches the plugin binary the way Grafana does (go-plugin, gRPC,
// the SDK handshake) and returns clients on the plugin's gRPC connection. The
// plugin is killed (gracefully, then forcibly) when the test ends. Its log goes to
// a file, printed (tail) if the test fails, and at $GOPULSE_E2E_LOG_LEVEL (default
// info) into the test log.
func StartPlugin(t testing.TB) *Client {
	t.Helper()
	return StartPluginWith(t, PluginOptions{})
}

// StartPluginWith is StartPlugin with options.
func StartPluginWith(t testing.TB, opts PluginOptions) *Client {
	t.Helper()
	bin := opts.Binary
	if bin == "" {
		bin = PluginBinary(t)
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 30 * time.Second
	}
	logPath := filepath.Join(t.TempDir(), "plugin.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("harness: plugin log: %v", err)
	}
	tw := &testLogWriter{t: t}
	logger := hclog.NewInterceptLogger(&hclog.LoggerOptions{
		Name:   "plugin",
		Level:  hclog.Trace,
		Output: logFile,
	})
	logger.RegisterSink(hclog.NewSinkAdapter(&hclog.LoggerOptions{
		Name:   "plugin",
		Level:  testLogLevel(),
		Output: tw,
	}))

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.SysProcAttr = sysProcAttr()
	client := goplugin.NewClient(&goplugin.ClientConfig{
		Cmd:              cmd,
		HandshakeConfig:  Handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{sdkgrpcplugin.ProtocolVersion: pluginSet()},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Managed:          true,
		Logger:           logger,
		StartTimeout:     opts.StartTimeout,
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgSize)),
		},
	})
	// Cleanups run last-in first-out: kill the plugin, then stop logging to t,
	// then print the log tail on failure.
	t.Cleanup(func() {
		_ = logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("harness: last lines of the plugin log (%s):\n%s", logPath, tailLines(string(b), logTailLines))
		}
	})
	t.Cleanup(tw.close)
	t.Cleanup(func() {
		client.Kill()
	})

	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("harness: start plugin %s over go-plugin: %v", bin, err)
	}
	gc, ok := rpc.(*goplugin.GRPCClient)
	if !ok {
		t.Fatalf("harness: plugin %s negotiated %T, want a gRPC client", bin, rpc)
	}
	for name := range pluginSet() {
		if _, err := rpc.Dispense(name); err != nil {
			t.Fatalf("harness: plugin %s: dispense %q: %v", bin, name, err)
		}
	}
	if v := client.NegotiatedVersion(); v != sdkgrpcplugin.ProtocolVersion {
		t.Fatalf("harness: plugin %s negotiated protocol %d, want %d", bin, v, sdkgrpcplugin.ProtocolVersion)
	}
	c := newClient(gc.Conn)
	if rc := client.ReattachConfig(); rc != nil {
		c.PID = rc.Pid
	}
	c.LogPath = logPath
	t.Logf("harness: plugin %s started (pid %d, protocol %d)", bin, c.PID, client.NegotiatedVersion())
	return c
}

func testLogLevel() hclog.Level {
	if v := os.Getenv("GOPULSE_E2E_LOG_LEVEL"); v != "" {
		if l := hclog.LevelFromString(v); l != hclog.NoLevel {
			return l
		}
	}
	return hclog.Info
}

// testLogWriter writes lines to t.Log until the test's cleanup closes it (t.Log
// after the test ended would panic).
type testLogWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testLogWriter) close() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

var inProcessLogOnce sync.Once

func sdkLogLevel() sdklog.Level {
	switch strings.ToLower(os.Getenv("GOPULSE_E2E_LOG_LEVEL")) {
	case "trace":
		return sdklog.Trace
	case "debug":
		return sdklog.Debug
	case "info":
		return sdklog.Info
	case "error":
		return sdklog.Error
	}
	return sdklog.Warn
}

// inProcessMu serialises ServeInProcess: the SDK registers its metrics on the
// global Prometheus registerer, which is replaced for every in-process server.
var inProcessMu sync.Mutex

// ServeInProcess serves factory (e.g. plugin.NewDatasource) in the test process
// over the plugin protocol (the SDK's experimental/datasourcetest, on a loopback
// port) and returns clients like StartPlugin's. When the test ends the server is
// stopped and every instance the factory created is disposed (Dispose must
// tolerate being called for an instance the SDK already replaced and disposed).
func ServeInProcess(t testing.TB, factory datasource.InstanceFactoryFunc) *Client {
	t.Helper()
	var (
		mu        sync.Mutex
		instances []instancemgmt.Instance
	)
	tracked := func(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
		inst, err := factory(ctx, s)
		if err == nil && inst != nil {
			mu.Lock()
			instances = append(instances, inst)
			mu.Unlock()
		}
		return inst, err
	}

	var (
		tp   datasourcetest.TestPlugin
		addr string
		err  error
	)
	inProcessMu.Lock()
	inProcessLogOnce.Do(func() {
		// The SDK logs to stderr as JSON at debug level; keep the test output
		// readable (GOPULSE_E2E_LOG_LEVEL, default warn).
		l := sdklog.NewWithLevel(sdkLogLevel())
		sdklog.DefaultLogger = l
		backend.Logger = l
	})
	for attempt := 0; attempt < 3; attempt++ {
		// The SDK's server registers its metrics with prometheus.MustRegister.
		prometheus.DefaultRegisterer = prometheus.NewRegistry()
		addr = FreeAddr(t)
		tp, err = datasourcetest.Manage(tracked, datasourcetest.ManageOpts{Address: addr})
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	inProcessMu.Unlock()
	if err != nil {
		t.Fatalf("harness: serve plugin in process: %v", err)
	}
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgSize)))
	if err != nil {
		_ = tp.Shutdown()
		t.Fatalf("harness: dial in-process plugin at %s: %v", addr, err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		if err := tp.Shutdown(); err != nil {
			t.Errorf("harness: shut down in-process plugin: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, inst := range instances {
			if d, ok := inst.(instancemgmt.InstanceDisposer); ok {
				d.Dispose()
			}
		}
	})
	return newClient(conn)
}
