package dashboards

// The specs of the five bundled dashboards (docs/design.md, "Bundled dashboards"). Edit here,
// then `go test ./dashboards -run TestGenerated -update`.

import (
	"fmt"

	"github.com/gopulse/health/pkg/goruntime"
	"github.com/gopulse/health/pkg/health"
)

const schemaVersion = 41

// specs maps each file of dashboards/ to its builder.
var specs = map[string]func() *board{
	"health-overview.json": healthOverview,
	"go-runtime.json":      goRuntime,
	"business.json":        businessBoard,
	"alerts.json":          alertsBoard,
	"expvar-explorer.json": expvarExplorer,
}

// errorRatio is the demo's error ratio per instance of $job and $instance, as the health
// join reads it (0, not empty, while no request failed).
var _, errorRatio = health.RequestExprs("http_requests_total", `job="$job",instance=~"$instance"`, `code=~"5.."`, "job, instance")

// The colours and texts of the health verdicts: as a string (table) and as a number
// (numeric and time_series formats).
var (
	statusText = valueMap("ok", "green", "OK", "warning", "orange", "Warning", "critical", "red", "Critical",
		"down", "dark-red", "Down", "unknown", "text", "Unknown")
	statusNumber = valueMap("0", "green", "OK", "1", "orange", "Warning", "2", "red", "Critical", "3", "dark-red", "Down", "-1", "text", "Unknown")
	priorityText = valueMap("P0", "red", "P0", "P1", "orange", "P1", "P2", "yellow", "P2")
	alertState   = valueMap("firing", "red", "firing", "pending", "orange", "pending", "ok", "green", "ok", "no data", "text", "no data")
)

// countStatus is a stat counting the instances whose health verdict is status. Grafana's
// transformations and overrides match a field by its display name, what the panel and its
// editors show: the health frames' status field is "Status" (its DisplayNameFromDS).
func countStatus(title, status, color string) P {
	return newPanel("stat", title, fmt.Sprintf("Instances of $job whose health verdict is %s now: the rows of the Instances table, filtered by status and counted (one health query for both).", status), "short",
		resultsOf("Instances")).
		thresholds("green", 1, color).
		option("reduceOptions", obj{"calcs": []string{"count"}, "fields": "/^instance$/", "values": false}).
		transform("filterByValue", obj{"type": "include", "match": "any", "filters": []any{
			obj{"fieldName": "Status", "config": obj{"id": "equal", "options": obj{"value": status}}},
		}})
}

func healthOverview() *board {
	b := newBoard("gopulse-health-overview", "Go services — health overview",
		"One verdict per instance (ok, warning, critical, down) with its reason, the alerts firing now, and the instances that stand out by goroutines, heap and error ratio.",
		"health")
	b.vars = []obj{datasourceVar(), goJobVar(), instanceVar()}
	b.row("Status")
	b.add(3, 5, countStatus("Healthy", "ok", "green").thresholds("text", 1, "green"))
	b.add(3, 5, countStatus("Warning", "warning", "orange"))
	b.add(3, 5, countStatus("Critical", "critical", "red"))
	b.add(3, 5, countStatus("Down", "down", "dark-red"))
	b.add(12, 5, newPanel("stat", "Alerts firing by severity",
		"Alerts firing now for $job, per P-level (P0 page now, P1 on-call today, P2 ticket), from Prometheus merged with Alertmanager.", "short",
		alertsQ(obj{"format": "counts", "matchers": `job="$job"`})).thresholds("green", 1, "red"))
	b.add(24, 9, newPanel("table", "Instances",
		"One row per instance of $job: its verdict, the reason for it, and the signals it is made of (up, goroutines and their growth, heap in use, GC pause p99, request rate, error ratio, latency p99, alerts).", "short",
		healthQ("table")).
		override("Status", "mappings", statusText, "custom.cellOptions", obj{"type": "color-background"}).
		override("reason", "custom.width", 360))
	b.add(24, 5, newPanel("stat", "Verdict per instance",
		"The verdict of every instance of $job now (0 OK, 1 warning, 2 critical, 3 down, -1 unknown: a source did not answer).", "none",
		healthQ("numeric")).set("mappings", statusNumber).thresholds("green", 1, "orange", 2, "red", 3, "dark-red").
		option("textMode", "value_and_name"))
	b.add(24, 6, newPanel("state-timeline", "Verdict over time",
		"How the verdict of every instance of $job changed over the time range.", "none",
		healthQ("time_series")).set("mappings", statusNumber).thresholds("green", 1, "orange", 2, "red", 3, "dark-red").
		// The status field is "Status", or "<instance> status" with several instances.
		transform("filterFieldsByName", obj{"include": obj{"pattern": "^(Time|Status|.+ status)$"}}))
	b.row("Alerts and outliers")
	b.add(24, 7, newPanel("table", "Alerts firing now",
		"Alerts of $job firing now, most urgent first, with whether Alertmanager silences or inhibits them and who it notifies.", "short",
		alertsQ(obj{"states": []string{"firing"}, "matchers": `job="$job"`})).
		set("noValue", "No alert firing").
		override("priority", "mappings", priorityText, "custom.cellOptions", obj{"type": "color-background"}).
		override("activeSince", "unit", "dateTimeFromNow"))
	b.add(8, 8, newPanel("bargauge", "Most goroutines",
		"The five instances of $job with the most goroutines now. Steady growth under steady load is a leak.", "short",
		promqlNow(`topk(5, `+sel("go_goroutines")+`)`, "{{instance}}")).thresholds("green", 1000, "orange", 10000, "red"))
	b.add(8, 8, newPanel("bargauge", "Largest heap in use",
		"The five instances of $job with the most heap in use now (bytes in spans holding objects).", "bytes",
		promqlNow(`topk(5, `+sel("go_memstats_heap_inuse_bytes")+`)`, "{{instance}}")).thresholds("green", 128<<20, "orange", 512<<20, "red"))
	b.add(8, 8, newPanel("bargauge", "Highest error ratio",
		"The five instances of $job with the highest share of 5xx answers over the rate interval (0 while none failed). The demo's alert fires above 5%.", "percentunit",
		promqlNow(`topk(5, `+errorRatio+`)`, "{{instance}}")).thresholds("green", 0.01, "orange", 0.05, "red").set("min", 0).set("max", 1))
	return b
}

func goRuntime() *board {
	b := newBoard("gopulse-go-runtime", "Go runtime",
		"Runtime health of Go services: goroutines, threads, CPU, heap, RSS, allocation, GC pauses, scheduler latency and file descriptors, per job and instance. Runtime queries pick the series the service exports (classic client_golang or runtime/metrics names) and fall back to expvar when Prometheus has none.",
		"runtime")
	b.vars = []obj{datasourceVar(), goJobVar(), instanceVar()}
	ts := func(title, description, unit string, targets ...obj) P {
		return newPanel("timeseries", title, description, unit, targets...).set("min", 0)
	}
	b.row("Goroutines and CPU")
	b.add(8, 8, ts("Goroutines", "Goroutines that exist now. Steady growth under steady load is a goroutine leak.", "short",
		runtimeQ("goroutines", "{{instance}}")).set("decimals", 0))
	b.add(8, 8, ts("Threads", "OS threads: live ones when the service exports the Go 1.26 runtime/metrics series, else threads created so far (go_threads), which never goes down.", "short",
		runtimeQ("threads", "{{instance}}")).set("decimals", 0))
	b.add(8, 8, ts("CPU", "CPU seconds used per second, user and system: 1 is one core busy.", goruntime.CoresUnit,
		runtimeQ("cpu", "{{instance}}")).custom("axisLabel", "cores"))
	b.row("Memory")
	b.add(8, 8, ts("Heap", "Heap allocated (live and not yet swept objects), in use (spans holding objects), released to the OS, and the heap size at which the next GC starts.", "bytes",
		runtimeQ("heap_alloc", "alloc {{instance}}"), runtimeQ("heap_inuse", "in use {{instance}}"),
		runtimeQ("heap_released", "released {{instance}}"), runtimeQ("gc_goal", "GC goal {{instance}}")))
	b.add(8, 8, ts("Heap objects", "Allocated heap objects.", "short", runtimeQ("heap_objects", "{{instance}}")).set("decimals", 0))
	b.add(8, 8, ts("Resident memory vs Go runtime", "Resident set size (what the OOM killer and container limits see) next to all the memory the Go runtime obtained from the OS (MemStats.Sys, virtual, not RSS) and the goroutine stacks.", "bytes",
		runtimeQ("rss", "RSS {{instance}}"), runtimeQ("runtime_sys", "Go sys {{instance}}"), runtimeQ("stack_inuse", "stacks {{instance}}")))
	b.row("Allocation and GC")
	b.add(8, 8, ts("Allocation rate", "Bytes allocated on the heap per second: the pressure that drives GC.", "Bps", runtimeQ("alloc_rate", "{{instance}}")))
	b.add(8, 8, ts("Object allocation rate", "Heap objects allocated per second, tiny allocations included.", "cps", runtimeQ("alloc_objects_rate", "{{instance}}")))
	b.add(8, 8, ts("GC cycles", "Completed GC cycles per second.", "cps", runtimeQ("gc_cycles_rate", "{{instance}}")))
	b.add(12, 8, ts("GC pause", "Stop-the-world GC pause per cycle (mean over the rate interval), its 99th percentile (interpolated in the runtime/metrics histogram, whose buckets near 0.9, 10.5 and 117 ms are coarse: a p99 above the largest pause is the interpolation, not a pause) and the largest of the last pauses (at most 256, exact: go_gc_duration_seconds), in seconds. Mean and p99 are empty while no GC ran in the interval.", "s",
		runtimeQ("gc_pause_mean", "mean {{instance}}"), runtimeQ("gc_pause_p99", "p99 {{instance}}"),
		promql(`max by (job, instance) (`+sel("go_gc_duration_seconds", `quantile=~"1|1.0"`)+`)`, "largest {{instance}}")).thresholds("green", 0.01, "orange", 0.1, "red"))
	pauses := func(q string) string {
		return fmt.Sprintf("histogram_quantile(%s, sum by (job, instance, le) (rate(%s[$__rate_interval])))", q, sel("go_sched_pauses_total_gc_seconds_bucket"))
	}
	b.add(12, 8, ts("GC pause quantiles", "Median, 90th and 99th percentile of GC pauses from the runtime/metrics pause histogram (client_golang opt-in), in seconds. The default go_gc_duration_seconds summary has no p99 and cannot be aggregated.", "s",
		promql(pauses("0.5"), "p50 {{instance}}"), promql(pauses("0.9"), "p90 {{instance}}"), promql(pauses("0.99"), "p99 {{instance}}")).
		thresholds("green", 0.01, "orange", 0.1, "red"))
	b.row("Scheduler, file descriptors and settings")
	b.add(8, 8, ts("Scheduler latency", "Time goroutines wait runnable before they run: median (runtime/metrics histogram) and 99th percentile over the rate interval. High values mean CPU starvation or too small GOMAXPROCS.", "s",
		promql("histogram_quantile(0.5, sum by (job, instance, le) (rate("+sel("go_sched_latencies_seconds_bucket")+"[$__rate_interval])))", "p50 {{instance}}"),
		runtimeQ("sched_latency_p99", "p99 {{instance}}")).thresholds("green", 0.01, "orange", 0.05, "red"))
	b.add(8, 8, ts("File descriptor use", "Open file descriptors over the limit (RLIMIT_NOFILE): near 100%, accept() and open() start to fail.", "percentunit",
		runtimeQ("fd_ratio", "{{instance}}")).thresholds("green", 0.8, "orange", 0.9, "red").set("max", 1))
	b.add(8, 8, ts("Open file descriptors", "Open file descriptors: files, sockets and pipes.", "short", runtimeQ("open_fds", "{{instance}}")).set("decimals", 0))
	stat := func(title, description, unit string, target obj) P {
		return newPanel("stat", title, description, unit, target).option("colorMode", "value").option("textMode", "value_and_name")
	}
	b.add(8, 4, stat("Uptime", "Time since each instance started; a short uptime is a recent restart.", "s", runtimeQ("uptime", "{{instance}}")).
		thresholds("orange", 600, "green"))
	b.add(8, 4, stat("GOMAXPROCS", "Threads that can run Go code at once.", "short", runtimeQ("gomaxprocs", "{{instance}}")))
	b.add(8, 4, stat("GOGC", "Heap growth in percent that triggers a GC cycle (-1: GC off).", "percent", runtimeQ("gogc", "{{instance}}")).
		thresholds("red", 0, "green"))
	return b
}

func businessBoard() *board {
	b := newBoard("gopulse-business", "Go services — business",
		"The service's own signals: request rate, error ratio and latency by route, front-end events by type and page, logins, orders and payments (the demo mini-program's metrics). Business queries aggregate each metric according to its type.",
		"business")
	b.vars = []obj{datasourceVar(), goJobVar(), instanceVar()}
	ts := func(title, description, unit string, targets ...obj) P {
		return newPanel("timeseries", title, description, unit, targets...).set("min", 0)
	}
	b.row("Traffic")
	b.add(8, 8, ts("Request rate by route", "HTTP requests per second by route pattern.", "reqps",
		business("http_requests_total", obj{"groupBy": []string{"path"}, "legendFormat": "{{path}}"})))
	b.add(8, 8, ts("Responses by status code", "HTTP answers per second by status code.", "reqps",
		business("http_requests_total", obj{"groupBy": []string{"code"}, "legendFormat": "{{code}}"})).
		override("500", "color", obj{"mode": "fixed", "fixedColor": "red"}))
	b.add(8, 8, ts("Error ratio", "Share of HTTP answers that are 5xx over the rate interval (0 while none failed). The demo's GoHighErrorRatio alert fires above 5% for 30 s.", "percentunit",
		promql(errorRatio, "{{instance}}")).thresholds("green", 0.01, "orange", 0.05, "red"))
	b.row("Latency")
	b.add(12, 8, ts("Latency quantiles", "Median, 90th and 99th percentile of HTTP request latency, from the histogram, over the rate interval. The demo's GoHighLatencyP99 alert fires above 0.5 s.", "s",
		business("http_request_duration_seconds", obj{"quantiles": []float64{0.5, 0.9, 0.99}})).thresholds("green", 0.25, "orange", 0.5, "red"))
	b.add(12, 8, ts("p99 latency by route", "99th percentile of HTTP request latency per route pattern.", "s",
		business("http_request_duration_seconds", obj{"quantiles": []float64{0.99}, "groupBy": []string{"path"}, "legendFormat": "{{path}}"})).
		thresholds("green", 0.25, "orange", 0.5, "red"))
	b.row("Front-end events")
	b.add(8, 8, ts("Events by type", "Tracked front-end events per second by event type.", "cps",
		business("demo_events_total", obj{"groupBy": []string{"event_type"}, "legendFormat": "{{event_type}}"})).custom("stacking", obj{"mode": "normal", "group": "A"}))
	b.add(8, 8, ts("Events by page", "Tracked front-end events per second by page.", "cps",
		business("demo_events_total", obj{"groupBy": []string{"page"}, "legendFormat": "{{page}}"})).custom("stacking", obj{"mode": "normal", "group": "A"}))
	b.add(8, 8, newPanel("bargauge", "Top elements", "The five most used elements (page and element) by events per second now.", "cps",
		business("demo_events_total", obj{"groupBy": []string{"page", "element_id"}, "topN": 5, "legendFormat": "{{page}} {{element_id}}"})))
	b.row("Logins, orders and payments")
	b.add(8, 8, ts("Logins by result", "Login attempts per second: success, failure (bad password) and error.", "cps",
		business("demo_logins_total", obj{"groupBy": []string{"result"}, "legendFormat": "{{result}}"})).
		override("error", "color", obj{"mode": "fixed", "fixedColor": "red"}))
	b.add(8, 8, ts("Orders by status", "Orders per second: created, rejected (bad input) and error.", "cps",
		business("demo_orders_total", obj{"groupBy": []string{"status"}, "legendFormat": "{{status}}"})).
		override("error", "color", obj{"mode": "fixed", "fixedColor": "red"}))
	b.add(8, 8, ts("Payments by status", "Payments per second: paid, rejected and error.", "cps",
		business("demo_payments_total", obj{"groupBy": []string{"status"}, "legendFormat": "{{status}}"})).
		override("error", "color", obj{"mode": "fixed", "fixedColor": "red"}))
	b.add(8, 8, ts("Revenue", "Amount paid per second, in yuan.", "currencyCNY",
		business("demo_payment_amount_total", obj{"legendFormat": "paid per second"})))
	stat := func(title, description string, target obj) P {
		return newPanel("stat", title, description, "short", target).option("colorMode", "value").option("graphMode", "area")
	}
	b.add(8, 8, stat("Active sessions", "Logged-in sessions that have not expired (30 minutes).", business("demo_active_sessions", nil)))
	b.add(8, 8, stat("Items in unpaid orders", "Items in orders created but not paid yet (they expire after 15 minutes).", business("demo_cart_items", nil)))
	return b
}

func alertsBoard() *board {
	b := newBoard("gopulse-alerts", "Go services — alerts",
		"Alert state of Go services: firing and pending alerts by severity (P0 page now, P1 on-call today, P2 ticket), their history, what Alertmanager does with them (silences, inhibitions, receivers) and the rules.",
		"alerts")
	b.refresh = "10s"
	b.vars = []obj{datasourceVar(), queryVar("job", "Job", "label_values(up, job)",
		obj{"kind": "label_values", "label": "job", "match": "up"}, true, true, ".*")}
	const matchers = `job=~"$job"`
	b.row("Now")
	b.add(12, 5, newPanel("stat", "Firing by severity", "Alerts firing now per P-level, from Prometheus merged with Alertmanager.", "short",
		alertsQ(obj{"format": "counts", "matchers": matchers})).thresholds("green", 1, "red"))
	b.add(12, 5, newPanel("stat", "Pending by severity", "Alerts whose condition holds but not yet for their 'for' duration, per P-level: what may fire next.", "short",
		alertsQ(obj{"source": "prometheus", "format": "counts", "states": []string{"pending"}, "matchers": matchers})).
		thresholds("green", 1, "orange"))
	b.add(24, 9, newPanel("table", "Firing and pending alerts", "Every firing and pending alert, most urgent first: P-level, state, instance, since when, value and summary, and whether Alertmanager silences or inhibits it.", "short",
		alertsQ(obj{"states": []string{"firing", "pending"}, "matchers": matchers})).
		set("noValue", "No alert firing or pending").
		override("priority", "mappings", priorityText, "custom.cellOptions", obj{"type": "color-background"}).
		override("state", "mappings", alertState, "custom.cellOptions", obj{"type": "color-text"}).
		override("activeSince", "unit", "dateTimeFromNow"))
	b.row("History")
	b.add(24, 9, newPanel("state-timeline", "Alert state timeline", "The state of every alert over the time range (ok, pending, firing; no data before Prometheus had any), from Prometheus's ALERTS series. Without any alert in the range, one row says so.", "none",
		alertsQ(obj{"source": "prometheus", "format": "timeline", "matchers": matchers})).set("mappings", alertState))
	b.row("Alertmanager and rules")
	b.add(24, 8, newPanel("table", "Silences, inhibitions and receivers", "The alerts Alertmanager holds: silenced (a silence matches), inhibited (a P0 of the same instance mutes its P1/P2) and the receivers it notifies.", "short",
		alertsQ(obj{"source": "alertmanager", "matchers": matchers})).
		set("noValue", "Alertmanager holds no alert: nothing firing, silenced or inhibited").
		override("silenced", "custom.cellOptions", obj{"type": "color-text"}, "mappings", valueMap("true", "blue", "silenced", "false", "text", "")).
		override("inhibited", "custom.cellOptions", obj{"type": "color-text"}, "mappings", valueMap("true", "purple", "inhibited", "false", "text", "")).
		override("priority", "mappings", priorityText, "custom.cellOptions", obj{"type": "color-background"}))
	b.add(24, 9, newPanel("table", "Alert rules", "Every alerting rule Prometheus evaluates: group, state, P-level, health and last error, and its query.", "short",
		alertsQ(obj{"source": "prometheus", "format": "rules"})).
		override("priority", "mappings", priorityText).
		override("health", "mappings", valueMap("ok", "green", "ok", "err", "red", "error", "unknown", "text", "unknown"), "custom.cellOptions", obj{"type": "color-text"}).
		override("evaluationSeconds", "unit", "s").
		override("lastEvaluation", "unit", "dateTimeFromNow"))
	return b
}

func expvarExplorer() *board {
	b := newBoard("gopulse-expvar-explorer", "Go services — expvar explorer",
		"Every expvar variable of every target (the data source's expvarTargets and the services discovered from its expvarDiscoverJobs), live, and the history and rate of chosen variables.",
		"expvar")
	b.refresh = "10s"
	b.from = "now-15m"
	b.vars = []obj{datasourceVar(),
		queryVar("target", "Target", "expvar_targets", obj{"kind": "expvar_targets"}, true, true, ""),
		// Scalars only: the elements of arrays (memstats.PauseNs[0] ...) are in the table above.
		queryVar("path", "Variable", "expvar_paths", obj{"kind": "expvar_paths", "regex": `/^[^\[]+$/`},
			true, false, "", "goroutines", "memstats.HeapAlloc"),
	}
	b.row("Every variable")
	b.add(24, 12, newPanel("table", "Every variable of every target (live)",
		"The latest value of every variable of every expvar target, pushed after every poll (Grafana Live). Strings and numbers side by side; arrays are indexed (memstats.PauseNs[0]).", "short",
		func() obj { q := expvarQ("latest", nil, []string{"**"}); q["live"] = true; return q }()))
	b.row("Chosen variables ($path of $target)")
	b.add(10, 9, newPanel("table", "Latest values", "The latest value of the chosen variables ($path) of the chosen targets.", "short",
		expvarQ("latest", []string{"$target"}, []string{"$path"})))
	b.add(14, 9, newPanel("timeseries", "History", "The chosen variables over time, as the data source polled them (its retention bounds how far back).", "short",
		expvarQ("history", []string{"$target"}, []string{"$path"})))
	b.row("Runtime from expvar")
	ts := func(title, description, unit string, targets ...obj) P {
		return newPanel("timeseries", title, description, unit, targets...).set("min", 0)
	}
	b.add(8, 8, ts("Heap", "Heap allocated and in use, and the GC goal, from memstats of /debug/vars.", "bytes",
		expvarQ("history", []string{"$target"}, []string{"memstats.HeapAlloc", "memstats.HeapInuse", "memstats.NextGC"})))
	b.add(8, 8, ts("Goroutines", "The goroutines variable the service publishes (runtime.NumGoroutine).", "short",
		expvarQ("history", []string{"$target"}, []string{"goroutines"})).set("decimals", 0))
	b.add(8, 8, ts("Allocation rate", "memstats.TotalAlloc as a rate: bytes allocated per second.", "Bps",
		expvarQ("rate", []string{"$target"}, []string{"memstats.TotalAlloc"})))
	b.add(12, 8, ts("GC cycles", "memstats.NumGC as a rate: GC cycles per second.", "cps",
		expvarQ("rate", []string{"$target"}, []string{"memstats.NumGC"})))
	b.add(12, 8, ts("Business counters", "The service's business counters of /debug/vars (logins, orders, payments) as rates per second.", "cps",
		expvarQ("rate", []string{"$target"}, []string{"business.logins.*", "business.orders.*", "business.payments.*"})))
	return b
}
