// Package response holds what every query type shares when it answers: the one helper that
// turns frames or an error into a query's DataResponse.
package response

import (
	"errors"
	"slices"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// inputError is a query the user must fix; it is answered with 400 Bad Request.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

// BadInput marks err as the fault of the query itself (its model or its values).
func BadInput(err error) error { return inputError{err} }

// Response is the DataResponse of one query: its frames, or its error with the right
// status and error source. Frames that come with an error are kept (a partial answer).
func Response(fr data.Frames, err error) backend.DataResponse {
	if err == nil {
		return backend.DataResponse{Frames: fr}
	}
	res := backend.DataResponse{Frames: fr, Error: err, Status: backend.StatusInternal, ErrorSource: backend.ErrorSourcePlugin}
	var (
		bad    inputError
		status interface{ HTTPStatus() int }
	)
	switch {
	case errors.As(err, &bad):
		res.Status, res.ErrorSource = backend.StatusBadRequest, backend.ErrorSourceDownstream
	case backend.IsDownstreamError(err):
		res.ErrorSource = backend.ErrorSourceDownstream
		res.Status = backend.StatusBadGateway
		if errors.As(err, &status) && backend.Status(status.HTTPStatus()).IsValid() {
			res.Status = backend.Status(status.HTTPStatus())
		}
	}
	return res
}

// AddNotice adds a notice to a frame. Frames of one query may share their meta: the frame
// gets its own copy first.
func AddNotice(f *data.Frame, n data.Notice) {
	meta := data.FrameMeta{}
	if f.Meta != nil {
		meta = *f.Meta
	}
	meta.Notices = append(slices.Clone(meta.Notices), n)
	f.Meta = &meta
}

// SetUnit sets the unit of every numeric field of f.
func SetUnit(f *data.Frame, unit string) {
	for _, fl := range f.Fields {
		if fl.Type().Numeric() {
			if fl.Config == nil {
				fl.Config = &data.FieldConfig{}
			}
			fl.Config.Unit = unit
		}
	}
}
