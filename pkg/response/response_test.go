package response

import (
	"errors"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

type statusErr struct{ code int }

func (e statusErr) Error() string   { return "upstream said no" }
func (e statusErr) HTTPStatus() int { return e.code }

func TestResponse(t *testing.T) {
	fr := data.Frames{data.NewFrame("x")}
	cases := []struct {
		name   string
		err    error
		status backend.Status
		source backend.ErrorSource
	}{
		{"frames", nil, 0, ""},
		{"bad input", BadInput(errors.New("expr is empty")), backend.StatusBadRequest, backend.ErrorSourceDownstream},
		{"downstream with status", backend.DownstreamError(statusErr{401}), backend.StatusUnauthorized, backend.ErrorSourceDownstream},
		{"downstream without status", backend.DownstreamError(errors.New("gone")), backend.StatusBadGateway, backend.ErrorSourceDownstream},
		{"plugin bug", errors.New("nil map"), backend.StatusInternal, backend.ErrorSourcePlugin},
	}
	for _, c := range cases {
		res := Response(fr, c.err)
		if res.Status != c.status || res.ErrorSource != c.source || res.Error != c.err || len(res.Frames) != 1 {
			t.Errorf("%s: got status %d source %q error %v frames %d", c.name, res.Status, res.ErrorSource, res.Error, len(res.Frames))
		}
	}
}
