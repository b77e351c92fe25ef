// Package harness starts the servers that GoPulse's end-to-end tests need
// (Prometheus, Alertmanager, VictoriaMetrics, Thanos sidecar and query over an HA pair of
// Prometheus replicas, the demo mini-program and its load generator) on free loopback
// ports with temporary directories, and launches the plugin the way Grafana does: the
// built binary through hashicorp/go-plugin with the SDK handshake, called with the SDK's
// pluginv2 gRPC clients. ServeInProcess serves an instance factory in the test process
// over the same protocol.
//
// Every server is started by the harness, stopped by PID when the test ends
// (SIGTERM, then SIGKILL after a grace period), and its log is printed (tail) when
// the test fails. A missing server binary fails the test; it is never a skip, except
// Thanos outside CI (ThanosBinary): it has no Debian package and takes minutes to build.
//
// Environment:
//
//	GOPULSE_PLUGIN_BINARY   path to the plugin binary (default dist/gpx_health_linux_amd64;
//	                        built from ./pkg when missing, unless CI is set)
//	GOPULSE_PROMETHEUS_BIN  path to prometheus (default /usr/bin/prometheus, then $PATH)
//	GOPULSE_ALERTMANAGER_BIN, GOPULSE_VICTORIAMETRICS_BIN  likewise
//	GOPULSE_THANOS_BIN      path to thanos (default $GOPULSE_CACHE or <user cache dir>/gopulse, /servers/
//	                        thanos-<ThanosVersion>/thanos; `go tool mage -v setup` builds it)
//	GOPULSE_E2E_LOG_LEVEL   plugin log level: StartPlugin copies the plugin's log into the
//	                        test log from this level (default info; the full log goes to
//	                        a file whose tail is printed on failure); ServeInProcess sets
//	                        the SDK's stderr logger to it (default warn)
package harness
