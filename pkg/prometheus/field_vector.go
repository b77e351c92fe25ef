package prometheus

import (
	"reflect"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// The SDK (v0.298.0) has no way to make a field from a slice without copying it:
// data.NewField copies its values into a new vector, and NewFieldFromFieldType, Set,
// Append and Extend all write into a vector the field allocates itself, value by value
// (through an interface). A field's vector is a pointer to a slice of its element type
// ([]float64, []time.Time) kept in the unexported Field.vector. vectorField makes a field
// whose vector is the decoder's slice itself, so that each sample is written once, by the
// decoder, into the memory the frame keeps; when the SDK's Field is not shaped that way
// (a newer SDK), it falls back to data.NewField's copy. TestVectorFieldAdopts says which
// one the SDK in go.mod gets.

// fieldVector is the index of Field.vector, -1 if the SDK's Field has no such field.
var fieldVector = func() int {
	f, ok := reflect.TypeFor[data.Field]().FieldByName("vector")
	if !ok || f.Type.Kind() != reflect.Interface || len(f.Index) != 1 {
		return -1
	}
	return f.Index[0]
}()

// vectorField makes a field over values without copying them when the SDK allows it.
// values must not be appended to or changed afterwards: the field owns them. A slice
// capped at its length (s[i:j:j]) keeps appends to the field from reaching past it.
func vectorField[T float64 | time.Time](name string, labels data.Labels, values []T) *data.Field {
	f := data.NewField(name, labels, []T(nil))
	if !adopt(f, values) {
		return data.NewField(name, labels, values)
	}
	return f
}

// adopt makes values the vector of f, an empty field of the same element type.
func adopt[T any](f *data.Field, values []T) bool {
	if fieldVector < 0 {
		return false
	}
	vec := reflect.ValueOf(f).Elem().Field(fieldVector)
	if vec.IsNil() {
		return false
	}
	p := vec.Elem()
	if p.Kind() != reflect.Pointer || p.Type().Elem().Kind() != reflect.Slice || p.Type().Elem().Elem() != reflect.TypeFor[T]() {
		return false
	}
	// The vector type is a named []T (float64Vector, timeTimeVector): same memory layout.
	*(*[]T)(p.UnsafePointer()) = values
	return true
}
