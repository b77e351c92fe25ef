package goruntime

import "fmt"

// Areas group the signals in the query editor.
const (
	AreaGoroutines = "Goroutines & threads"
	AreaMemory     = "Memory"
	AreaGC         = "GC"
	AreaProcess    = "CPU & process"
	AreaScheduler  = "Scheduler"
	AreaSettings   = "Settings"
)

// Kinds say how a signal is computed from its series.
const (
	KindGauge    = "gauge"        // the value as is
	KindRate     = "counter_rate" // per-second rate of a counter
	KindRatio    = "ratio"        // one gauge over another
	KindMean     = "mean"         // rate of a sum over rate of a count
	KindQuantile = "quantile"     // Signal.Quantile of a histogram (or expvar ring)
	KindChanges  = "changes"      // how many times a value changed (restarts)
)

// CoresUnit is the unit of CPU use: cores busy (Grafana's custom suffix unit; it has no
// unit of its own for cores).
const CoresUnit = "suffix: cores"

// Templates of the common candidate shapes. %[1]s is the selector's matcher list, %[2]s
// its grouping (job and instance labels).

// gauge sums gauges per target; several metrics are added up.
func gauge(metrics ...string) Candidate {
	expr := ""
	for i, m := range metrics {
		if i > 0 {
			expr += " + "
		}
		expr += "sum by (%[2]s) (" + m + "{%[1]s})"
	}
	return Candidate{Expr: expr, Metrics: metrics}
}

// setting is a per-process setting: the largest value per target.
func setting(metric string) Candidate {
	return Candidate{Expr: "max by (%[2]s) (" + metric + "{%[1]s})", Metrics: []string{metric}}
}

// rate is the per-second rate of counters per target; several counters are added up.
func rate(metrics ...string) Candidate {
	expr := ""
	for i, m := range metrics {
		if i > 0 {
			expr += " + "
		}
		expr += "sum by (%[2]s) (rate(" + m + "{%[1]s}[$__rate_interval]))"
	}
	return Candidate{Expr: expr, Metrics: metrics}
}

// mean is the mean observation of a histogram or summary over the rate interval.
func mean(base string) Candidate {
	return Candidate{
		Expr:    "sum by (%[2]s) (rate(" + base + "_sum{%[1]s}[$__rate_interval])) / sum by (%[2]s) (rate(" + base + "_count{%[1]s}[$__rate_interval]))",
		Metrics: []string{base + "_sum", base + "_count"},
	}
}

// quantile is the q-quantile of a classic histogram over the rate interval.
func quantile(q float64, base string) Candidate {
	return Candidate{
		Expr:    fmt.Sprintf("histogram_quantile(%g, sum by (%%[2]s, le) (rate(%s_bucket{%%[1]s}[$__rate_interval])))", q, base),
		Metrics: []string{base + "_bucket"},
	}
}

const (
	runtimeMetricsHint = "enable the runtime/metrics series in the service: collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsAll)) (client_golang)"
	processHint        = "register client_golang's process collector (collectors.NewProcessCollector; Linux, and Windows for some series)"
)

// catalogue is the table of signals. Candidates are in order of preference: the classic
// client_golang names first (exported by default), then the runtime/metrics names
// (opt-in, or the only ones when the memstats collection is turned off).
var catalogue = []Signal{
	// Goroutines & threads
	{
		ID: "goroutines", Title: "Goroutines", Area: AreaGoroutines, Unit: "short", Kind: KindGauge,
		Description: "Goroutines that exist now. Steady growth under steady load is a leak.",
		Candidates:  []Candidate{gauge("go_goroutines"), gauge("go_sched_goroutines_goroutines")},
		ExpvarPath:  "goroutines", ExpvarAlso: []string{"Goroutines", "NumGoroutine"}, ExpvarScale: 1,
	},
	{
		ID: "threads", Title: "OS threads", Area: AreaGoroutines, Unit: "short", Kind: KindGauge,
		Description: "OS threads. Live threads (go_sched_threads_total_threads, Go 1.26 runtime/metrics) when exported, else threads created so far (go_threads), which never goes down.",
		Candidates:  []Candidate{gauge("go_sched_threads_total_threads"), gauge("go_threads")},
	},
	// Memory
	{
		ID: "heap_alloc", Title: "Heap allocated", Area: AreaMemory, Unit: "bytes", Kind: KindGauge,
		Description: "Bytes of allocated heap objects, reachable or not yet swept (MemStats.HeapAlloc). The live heap, not memory taken from the OS.",
		Candidates:  []Candidate{gauge("go_memstats_heap_alloc_bytes"), gauge("go_memory_classes_heap_objects_bytes")},
		ExpvarPath:  "memstats.HeapAlloc", ExpvarScale: 1,
	},
	{
		ID: "heap_inuse", Title: "Heap in use", Area: AreaMemory, Unit: "bytes", Kind: KindGauge,
		Description: "Bytes in heap spans that hold at least one object (MemStats.HeapInuse).",
		Candidates:  []Candidate{gauge("go_memstats_heap_inuse_bytes"), gauge("go_memory_classes_heap_objects_bytes", "go_memory_classes_heap_unused_bytes")},
		ExpvarPath:  "memstats.HeapInuse", ExpvarScale: 1,
	},
	{
		ID: "heap_idle", Title: "Heap idle", Area: AreaMemory, Unit: "bytes", Kind: KindGauge,
		Description: "Bytes in heap spans with no object (MemStats.HeapIdle), including those released to the OS.",
		Candidates:  []Candidate{gauge("go_memstats_heap_idle_bytes"), gauge("go_memory_classes_heap_released_bytes", "go_memory_classes_heap_free_bytes")},
		ExpvarPath:  "memstats.HeapIdle", ExpvarScale: 1,
	},
	{
		ID: "heap_released", Title: "Heap released", Area: AreaMemory, Unit: "bytes", Kind: KindGauge,
		Description: "Idle heap bytes returned to the OS (MemStats.HeapReleased).",
		Candidates:  []Candidate{gauge("go_memstats_heap_released_bytes"), gauge("go_memory_classes_heap_released_bytes")},
		ExpvarPath:  "memstats.HeapReleased", ExpvarScale: 1,
	},
	{
		ID: "heap_sys", Title: "Heap reserved", Area: AreaMemory, Unit: "bytes", Kind: KindGauge,
		Description: "Heap bytes obtained from the OS (MemStats.HeapSys): in use plus idle.",
		Candidates: []Candidate{gauge("go_memstats_heap_sys_bytes"), gauge("go_memory_classes_heap_objects_bytes", "go_memory_classes_heap_unused_bytes",
			"go_memory_classes_heap_released_bytes", "go_memory_classes_heap_free_bytes")},
		ExpvarPath: "memstats.HeapSys", ExpvarScale: 1,
	},
	{
		ID: "heap_objects", Title: "Heap objects", Area: AreaMemory, Unit: "short", Kind: KindGauge,
		Description: "Allocated heap objects (MemStats.HeapObjects).",
		Candidates:  []Candidate{gauge("go_memstats_heap_objects"), gauge("go_gc_heap_objects_objects")},
		ExpvarPath:  "memstats.HeapObjects", ExpvarScale: 1,
	},
	{
		ID: "stack_inuse", Title: "Stack in use", Area: AreaMemory, Unit: "bytes", Kind: KindGauge,
		Description: "Bytes of goroutine stacks (MemStats.StackInuse). Grows with the number of goroutines.",
		Candidates:  []Candidate{gauge("go_memstats_stack_inuse_bytes"), gauge("go_memory_classes_heap_stacks_bytes")},
		ExpvarPath:  "memstats.StackInuse", ExpvarScale: 1,
	},
	{
		ID: "runtime_sys", Title: "Go runtime total", Area: AreaMemory, Unit: "bytes", Kind: KindGauge,
		Description: "All bytes the Go runtime obtained from the OS (MemStats.Sys). Virtual address space, not RSS: compare with rss.",
		Candidates:  []Candidate{gauge("go_memstats_sys_bytes"), gauge("go_memory_classes_total_bytes")},
		ExpvarPath:  "memstats.Sys", ExpvarScale: 1,
	},
	// GC
	{
		ID: "gc_goal", Title: "GC heap goal", Area: AreaGC, Unit: "bytes", Kind: KindGauge,
		Description: "Heap size at which the next GC cycle starts (MemStats.NextGC), from GOGC and the memory limit.",
		Candidates:  []Candidate{gauge("go_memstats_next_gc_bytes"), gauge("go_gc_heap_goal_bytes")},
		ExpvarPath:  "memstats.NextGC", ExpvarScale: 1,
	},
	{
		ID: "gc_pause_mean", Title: "GC pause (mean)", Area: AreaGC, Unit: "s", Kind: KindMean,
		Description: "Mean stop-the-world GC pause per cycle over the rate interval, in seconds (go_gc_duration_seconds); else per pause from the runtime/metrics histogram. Empty (NaN) when no GC ran in the interval. Expvar: the mean of the last 256 pauses (MemStats.PauseNs).",
		Candidates:  []Candidate{mean("go_gc_duration_seconds"), mean("go_sched_pauses_total_gc_seconds")},
		ExpvarPath:  "memstats.PauseNs", ExpvarScale: 1e-9,
	},
	{
		ID: "gc_pause_p99", Title: "GC pause p99", Area: AreaGC, Unit: "s", Kind: KindQuantile, Quantile: 0.99,
		Description: "99th percentile of stop-the-world GC pauses over the rate interval, in seconds, from the runtime/metrics pause histogram (opt-in). The default go_gc_duration_seconds summary has no p99 and its quantiles cannot be aggregated. Expvar: the quantile of the last 256 pauses (MemStats.PauseNs).",
		Candidates:  []Candidate{quantile(0.99, "go_sched_pauses_total_gc_seconds"), quantile(0.99, "go_gc_pauses_seconds")},
		Hint:        runtimeMetricsHint,
		ExpvarPath:  "memstats.PauseNs", ExpvarScale: 1e-9,
	},
	{
		ID: "gc_cycles_rate", Title: "GC cycles", Area: AreaGC, Unit: "cps", Kind: KindRate,
		Description: "Completed GC cycles per second.",
		Candidates:  []Candidate{rate("go_gc_duration_seconds_count"), rate("go_gc_cycles_total_gc_cycles_total")},
		ExpvarPath:  "memstats.NumGC", ExpvarScale: 1, ExpvarRate: true,
	},
	{
		ID: "alloc_rate", Title: "Allocation rate", Area: AreaGC, Unit: "Bps", Kind: KindRate,
		Description: "Bytes allocated on the heap per second (MemStats.TotalAlloc as a rate): the pressure that drives GC.",
		Candidates:  []Candidate{rate("go_memstats_alloc_bytes_total"), rate("go_gc_heap_allocs_bytes_total")},
		ExpvarPath:  "memstats.TotalAlloc", ExpvarScale: 1, ExpvarRate: true,
	},
	{
		ID: "alloc_objects_rate", Title: "Object allocation rate", Area: AreaGC, Unit: "cps", Kind: KindRate,
		Description: "Heap objects allocated per second (MemStats.Mallocs as a rate, tiny allocations included).",
		Candidates:  []Candidate{rate("go_memstats_mallocs_total"), rate("go_gc_heap_allocs_objects_total", "go_gc_heap_tiny_allocs_objects_total")},
		ExpvarPath:  "memstats.Mallocs", ExpvarScale: 1, ExpvarRate: true,
	},
	// CPU & process
	{
		ID: "cpu", Title: "CPU (cores)", Area: AreaProcess, Unit: CoresUnit, Kind: KindRate,
		Description: "CPU seconds used per second, user and system: 1 is one core busy.",
		Candidates:  []Candidate{rate("process_cpu_seconds_total")},
		Hint:        processHint,
	},
	{
		ID: "rss", Title: "Resident memory", Area: AreaProcess, Unit: "bytes", Kind: KindGauge,
		Description: "Resident set size of the process: physical memory it holds, what the OOM killer and container limits see.",
		Candidates:  []Candidate{gauge("process_resident_memory_bytes")},
		Hint:        processHint,
	},
	{
		ID: "open_fds", Title: "Open file descriptors", Area: AreaProcess, Unit: "short", Kind: KindGauge,
		Description: "Open file descriptors (files, sockets, pipes).",
		Candidates:  []Candidate{gauge("process_open_fds")},
		Hint:        processHint,
	},
	{
		ID: "fd_ratio", Title: "File descriptor use", Area: AreaProcess, Unit: "percentunit", Kind: KindRatio,
		Description: "Open file descriptors over the limit (RLIMIT_NOFILE): near 1, accept() and open() start to fail.",
		Candidates: []Candidate{{
			Expr:    "sum by (%[2]s) (process_open_fds{%[1]s}) / sum by (%[2]s) (process_max_fds{%[1]s})",
			Metrics: []string{"process_open_fds", "process_max_fds"},
		}},
		Hint: processHint,
	},
	{
		ID: "uptime", Title: "Uptime", Area: AreaProcess, Unit: "s", Kind: KindGauge,
		Description: "Seconds since the process started.",
		Candidates: []Candidate{{
			Expr:    "time() - max by (%[2]s) (process_start_time_seconds{%[1]s})",
			Metrics: []string{"process_start_time_seconds"},
		}},
		Hint: processHint,
	},
	{
		ID: "restarts", Title: "Restarts", Area: AreaProcess, Unit: "short", Kind: KindChanges,
		Description: "Process restarts in each rate interval (changes of the start time). Expvar: 1 at every poll where MemStats.NumGC went down (a restarted process counts its GC cycles from 0), else 0.",
		Candidates: []Candidate{{
			Expr:    "sum by (%[2]s) (changes(process_start_time_seconds{%[1]s}[$__rate_interval]))",
			Metrics: []string{"process_start_time_seconds"},
		}},
		Hint:       processHint,
		ExpvarPath: "memstats.NumGC", ExpvarScale: 1,
	},
	// Scheduler
	{
		ID: "sched_latency_p99", Title: "Scheduler latency p99", Area: AreaScheduler, Unit: "s", Kind: KindQuantile, Quantile: 0.99,
		Description: "99th percentile of the time goroutines wait runnable before they run, over the rate interval: CPU starvation or too small GOMAXPROCS (runtime/metrics histogram, opt-in).",
		Candidates:  []Candidate{quantile(0.99, "go_sched_latencies_seconds")},
		Hint:        runtimeMetricsHint,
	},
	// Settings
	{
		ID: "gomaxprocs", Title: "GOMAXPROCS", Area: AreaSettings, Unit: "short", Kind: KindGauge,
		Description: "Threads that can run Go code at once (GOMAXPROCS).",
		Candidates:  []Candidate{setting("go_sched_gomaxprocs_threads")},
		Hint:        "needs client_golang v1.20 or later",
	},
	{
		ID: "gogc", Title: "GOGC", Area: AreaSettings, Unit: "percent", Kind: KindGauge,
		Description: "Heap growth in percent that triggers GC (GOGC); -1 when GC is off.",
		Candidates:  []Candidate{setting("go_gc_gogc_percent")},
		Hint:        "needs client_golang v1.20 or later",
	},
	{
		ID: "memory_limit", Title: "Memory limit", Area: AreaSettings, Unit: "bytes", Kind: KindGauge,
		Description: "The Go runtime's soft memory limit (GOMEMLIMIT). No value when it is unset (the runtime reports math.MaxInt64).",
		Candidates: []Candidate{{
			// Unset is math.MaxInt64 (9.22e18); no real limit comes near 9e18 bytes.
			Expr:    "max by (%[2]s) (go_gc_gomemlimit_bytes{%[1]s}) < 9e18",
			Metrics: []string{"go_gc_gomemlimit_bytes"},
		}},
		Hint: "needs client_golang v1.20 or later",
	},
}
