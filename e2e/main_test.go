package e2e

import (
	"testing"

	"github.com/gopulse/health/e2e/harness"
	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind. No goroutine is
// ignored: the go-plugin client, gRPC connections, in-process servers and
// httptest servers are all closed by the harness's cleanups.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { harness.RemoveBuilds() }))
}
