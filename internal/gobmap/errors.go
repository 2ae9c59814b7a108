package gobmap

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Why a key or value could not be decoded, each in a *ValueError.
var (
	// ErrUnregistered: no type is registered with encoding/gob under the
	// name.
	ErrUnregistered = errors.New("no type is registered with encoding/gob under its name")
	// ErrMismatch: the value's encoding is not one of the type its name
	// says (another type, an array of another length, an integer out of
	// its type's range, time.Time bytes that do not parse).
	ErrMismatch = errors.New("its encoding does not match its type")
	// ErrUnhashable: a map holds a key that cannot be a Go map key.
	ErrUnhashable = errors.New("a map key that cannot be a Go map key")
	// ErrGob: encoding/gob cannot decode the value into the type
	// registered under its name.
	ErrGob = errors.New("encoding/gob cannot decode it into the type registered under its name")
	// ErrPanic: encoding/gob, or the GobDecode or UnmarshalBinary method of
	// the registered type, panicked.
	ErrPanic = errors.New("its decoding panicked")
)

// ValueError is the error of a key or value that could not be decoded. It
// quotes nothing of the value: a type's own GobDecode may put its data in
// its error.
type ValueError struct {
	// Name is the gob name of the type of the value that failed: the key
	// or value itself, or one nested in it.
	Name string
	// Err is one of ErrUnregistered, ErrMismatch, ErrUnhashable, ErrGob
	// and ErrPanic.
	Err error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("gobmap: a value of gob type %q: %v", e.Name, e.Err)
}

// Unwrap returns Err.
func (e *ValueError) Unwrap() error { return e.Err }

// gobError classifies err, the error of encoding/gob decoding a value of
// the type registered under name. gob's errors are not typed: the name
// it does not know is read from its message.
func gobError(name string, err error) *ValueError {
	const unregistered = "gob: name not registered for interface: "
	if q, ok := strings.CutPrefix(err.Error(), unregistered); ok {
		if n, qerr := strconv.Unquote(q); qerr == nil {
			return &ValueError{Name: n, Err: ErrUnregistered}
		}
	}
	if errors.Is(err, ErrPanic) {
		return &ValueError{Name: name, Err: ErrPanic}
	}
	return &ValueError{Name: name, Err: ErrGob}
}

// valueFail records that the interface value being decoded, w.name,
// fails with err.
func (w *walker) valueFail(err error) { w.valueErr(&ValueError{Name: w.name, Err: err}) }

// valueErr records err, unless the current key or value has failed
// already.
func (w *walker) valueErr(err error) {
	if w.verr == nil {
		w.verr = err
	}
}
