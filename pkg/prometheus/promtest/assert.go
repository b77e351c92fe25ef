package promtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/pkg/upstream"
)

// AssertUpstreamError checks that err is an upstream error marked downstream, with the
// status and a message containing want, as the data source answers a failed query.
func AssertUpstreamError(t testing.TB, what string, err error, status int, want string) {
	t.Helper()
	var ue *upstream.Error
	switch {
	case err == nil:
		t.Errorf("%s: no error, want %q", what, want)
	case !errors.As(err, &ue):
		t.Errorf("%s: %v is not an upstream error", what, err)
	case !backend.IsDownstreamError(err):
		t.Errorf("%s: %v is not marked downstream", what, err)
	case ue.Status != status || !strings.Contains(err.Error(), want):
		t.Errorf("%s: got %d %q, want %d and %q", what, ue.Status, err, status, want)
	}
}
