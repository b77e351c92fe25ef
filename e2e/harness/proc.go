package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// DefaultGrace is how long Stop waits after SIGTERM before it sends SIGKILL.
const DefaultGrace = 5 * time.Second

// logTailLines is how many lines of a process log are printed when a test fails.
const logTailLines = 80

// FreePort returns a TCP port on 127.0.0.1 that nobody listened on a moment ago.
// Another process may take it before it is used: the Start* helpers retry when a
// server cannot bind.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("harness: allocate a loopback port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatalf("harness: release port %d: %v", port, err)
	}
	return port
}

// FreeAddr returns "127.0.0.1:<free port>".
func FreeAddr(t testing.TB) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(FreePort(t))
}

// ProcessOpts describes a subprocess to start.
type ProcessOpts struct {
	// Name labels the process in logs and error messages ("prometheus").
	Name string
	// Binary is the executable; it must exist.
	Binary string
	Args   []string
	// Env is added to the test's environment.
	Env []string
	// Dir is the working directory; a fresh temp dir when empty.
	Dir string
	// Grace is the wait between SIGTERM and SIGKILL; DefaultGrace when zero.
	Grace time.Duration
}

// Process is a subprocess started by StartProcess. It is stopped by PID when the
// test ends.
type Process struct {
	Name    string
	Cmd     *exec.Cmd
	Dir     string // working directory (temporary unless ProcessOpts.Dir was set)
	LogPath string // stdout and stderr of the process

	grace   time.Duration
	logFile *os.File
	done    chan struct{}
	waitErr error
	stopMu  sync.Mutex
	stopped bool
	// exitOK: an exit before Stop is expected (a crash the test provokes).
	exitOK atomic.Bool
}

// StartProcess starts a subprocess with its output captured to a log file. The
// process is stopped (SIGTERM, SIGKILL after the grace period) in t.Cleanup, and
// the tail of its log is printed if the test failed.
func StartProcess(t testing.TB, opts ProcessOpts) *Process {
	t.Helper()
	p, err := startProcess(t, opts)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return p
}

func startProcess(t testing.TB, opts ProcessOpts) (*Process, error) {
	t.Helper()
	if opts.Name == "" {
		opts.Name = filepath.Base(opts.Binary)
	}
	if _, err := os.Stat(opts.Binary); err != nil {
		return nil, fmt.Errorf("%s: binary %s: %w", opts.Name, opts.Binary, err)
	}
	dir := opts.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	logDir := t.TempDir()
	logPath := filepath.Join(logDir, opts.Name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s: create log file: %w", opts.Name, err)
	}
	cmd := exec.Command(opts.Binary, opts.Args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("%s: start %s: %w", opts.Name, opts.Binary, err)
	}
	grace := opts.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	p := &Process{
		Name:    opts.Name,
		Cmd:     cmd,
		Dir:     dir,
		LogPath: logPath,
		grace:   grace,
		logFile: logFile,
		done:    make(chan struct{}),
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Logf("harness: started %s (pid %d): %s %s", p.Name, cmd.Process.Pid, opts.Binary, strings.Join(opts.Args, " "))
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("harness: stop %s: %v", p.Name, err)
		}
		if t.Failed() {
			t.Logf("harness: last lines of the %s log (%s):\n%s", p.Name, p.LogPath, p.Tail(logTailLines))
		}
	})
	return p, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.Cmd.Process.Pid }

// Exited reports whether the process has exited, and its wait error if so.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// Stop sends SIGTERM to the process (by PID), waits up to the grace period, then
// sends SIGKILL. It is idempotent and only signals the process it started. An exit
// caused by the harness's own signal is not an error.
func (p *Process) Stop() error {
	p.stopMu.Lock()
	defer p.stopMu.Unlock()
	if p.stopped {
		return nil
	}
	p.stopped = true
	defer func() { _ = p.logFile.Close() }()

	select {
	case <-p.done:
		// Exited by itself before we stopped it: report a crash.
		if p.waitErr != nil && !p.exitOK.Load() {
			return fmt.Errorf("exited before stop: %w", p.waitErr)
		}
		return nil
	default:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(p.grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
		return fmt.Errorf("did not exit within %v of SIGTERM; killed", p.grace)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("pid %d did not exit after SIGKILL", p.PID())
	}
}

// Kill kills the process at once (SIGKILL, by PID), as a crash or an out-of-memory kill
// would, and waits for it to exit: the test's cleanup then reports no error for it.
func (p *Process) Kill() error {
	p.AllowExit()
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s (pid %d): %w", p.Name, p.PID(), err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.Name, p.PID())
	}
}

// AllowExit tells the harness that the process may exit by itself (a test that
// crashes it on purpose): its cleanup then reports no error for that exit.
func (p *Process) AllowExit() { p.exitOK.Store(true) }

// Wait waits up to timeout for the process to exit and returns its wait error
// (nil for exit status 0), or an error if it is still running.
func (p *Process) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(timeout):
		return fmt.Errorf("%s (pid %d) still running after %v", p.Name, p.PID(), timeout)
	}
}

// Logs returns the process log so far.
func (p *Process) Logs() string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.LogPath, err)
	}
	return string(b)
}

// Tail returns the last n lines of the process log.
func (p *Process) Tail(n int) string {
	return tailLines(p.Logs(), n)
}

func tailLines(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// errBindConflict marks a start that failed because the port was taken.
var errBindConflict = errors.New("address already in use")

// waitReady polls ready until it returns nil, the process exits, or timeout passes.
func (p *Process) waitReady(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if exited, werr := p.Exited(); exited {
			logs := p.Logs()
			if bytes.Contains([]byte(logs), []byte("address already in use")) {
				return fmt.Errorf("%s exited (%v): %w", p.Name, werr, errBindConflict)
			}
			return fmt.Errorf("%s exited before it was ready (%v); log tail:\n%s", p.Name, werr, tailLines(logs, logTailLines))
		}
		if last = ready(); last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %v; log tail:\n%s", p.Name, timeout, last, p.Tail(logTailLines))
		}
		select {
		case <-p.done:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startServer starts a server listening on a fresh loopback address and waits for
// ready, retrying with another port when the chosen one was taken meanwhile.
func startServer(t testing.TB, opts func(addr string) ProcessOpts, timeout time.Duration, ready func(addr string) error) (*Process, string) {
	t.Helper()
	const attempts = 3
	var lastErr error
	for i := 0; i < attempts; i++ {
		addr := FreeAddr(t)
		po := opts(addr)
		p, err := startProcess(t, po)
		if err != nil {
			t.Fatalf("harness: %v", err)
		}
		err = p.waitReady(timeout, func() error { return ready(addr) })
		if err == nil {
			return p, addr
		}
		_ = p.Stop()
		lastErr = err
		if !errors.Is(err, errBindConflict) {
			break
		}
		t.Logf("harness: %s: port of %s was taken, retrying", po.Name, addr)
	}
	t.Fatalf("harness: %v", lastErr)
	return nil, ""
}
