package gobmap

import (
	"bytes"
	"math"
	"math/bits"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// shape is a Go type spelled by a built-in gob name: a basic kind;
// Slice, Array and Map of shapes ([]uint8 is gob's bytes); Interface for
// interface{}; Struct for time.Time.
type shape struct {
	kind      reflect.Kind
	len       int64 // of an Array
	key, elem *shape
}

// basics are the shapes of gob names of one word.
var basics = map[string]*shape{}

func init() {
	for _, k := range []reflect.Kind{
		reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String,
	} {
		basics[k.String()] = &shape{kind: k}
	}
	basics["time.Time"] = &shape{kind: reflect.Struct}
}

// shapeOf returns the shape that name spells, or nil for the name of a
// named type.
func (w *walker) shapeOf(name string) *shape {
	s, ok := w.shapes[name]
	if !ok {
		var rest string
		if s, rest = parseShape(name, 0); rest != "" {
			s = nil
		}
		w.shapes[name] = s
	}
	return s
}

// parseShape parses the Go type at the start of name, as reflect spells
// it, and returns its shape and the rest of name; a nil shape if it is not
// built from basic types, slices, arrays, maps and interface{}.
func parseShape(name string, depth int) (*shape, string) {
	if depth > maxDepth {
		return nil, ""
	}
	var s shape
	switch {
	case strings.HasPrefix(name, "interface {}"):
		return &shape{kind: reflect.Interface}, name[len("interface {}"):]
	case strings.HasPrefix(name, "[]"):
		s.kind, name = reflect.Slice, name[2:]
	case strings.HasPrefix(name, "["):
		n, rest, ok := strings.Cut(name[1:], "]")
		l, err := strconv.ParseInt(n, 10, 64)
		if !ok || err != nil || l < 0 || strconv.FormatInt(l, 10) != n {
			return nil, ""
		}
		s.kind, s.len, name = reflect.Array, l, rest
	case strings.HasPrefix(name, "map["):
		if s.key, name = parseShape(name[4:], depth+1); s.key == nil || !strings.HasPrefix(name, "]") {
			return nil, ""
		}
		s.kind, name = reflect.Map, name[1:]
	default:
		end := strings.IndexByte(name, ']')
		if end < 0 {
			end = len(name)
		}
		return basics[name[:end]], name[end:]
	}
	if s.elem, name = parseShape(name, depth+1); s.elem == nil {
		return nil, ""
	}
	return &s, name
}

// isBytes reports whether s is []uint8, which gob sends as bytes.
func (s *shape) isBytes() bool { return s.kind == reflect.Slice && s.elem.kind == reflect.Uint8 }

// predefined is the type id gob gives the basic kinds.
func predefined(k reflect.Kind) int64 {
	switch k {
	case reflect.Bool:
		return gobBoolID
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return gobIntID
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return gobUintID
	case reflect.Float32, reflect.Float64:
		return gobFloatID
	case reflect.Complex64, reflect.Complex128:
		return gobComplexID
	case reflect.String:
		return gobStringID
	case reflect.Interface:
		return gobInterfaceID
	}
	return -1
}

// fits reports whether values of type id can be decoded as shape s, as
// encoding/gob would into the Go type s spells.
func (w *walker) fits(id int64, s *shape) bool {
	if want := predefined(s.kind); want >= 0 {
		return id == want
	}
	if s.isBytes() {
		return id == gobBytesID
	}
	t, ok := w.types[id]
	switch {
	case !ok:
		return false
	case s.kind == reflect.Struct: // time.Time
		return t.kind == gobEncoder
	case s.kind == reflect.Slice:
		return t.kind == gobSlice && w.fits(t.elem, s.elem)
	case s.kind == reflect.Array:
		return t.kind == gobArray && t.len == s.len && w.fits(t.elem, s.elem)
	}
	return t.kind == gobMap && w.fits(t.key, s.key) && w.fits(t.elem, s.elem)
}

// decode reads a value of type id, which fits s, and returns it.
func (w *walker) decode(id int64, s *shape) any {
	if !w.enter() {
		return nil
	}
	defer w.leave()
	switch s.kind {
	case reflect.Bool:
		return w.uint() != 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return w.signed(s.kind, w.int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return w.unsigned(s.kind, w.uint())
	case reflect.Float32:
		return w.float32()
	case reflect.Float64:
		return w.float()
	case reflect.Complex64:
		re, im := w.float32(), w.float32()
		return complex(re, im)
	case reflect.Complex128:
		re, im := w.float(), w.float()
		return complex(re, im)
	case reflect.String:
		return string(w.take(w.count()))
	case reflect.Interface:
		v, _ := w.iface()
		return v
	case reflect.Struct: // time.Time
		var t time.Time
		if err := t.UnmarshalBinary(w.take(w.count())); err != nil {
			w.valueFail(ErrMismatch)
			return nil
		}
		return t
	}
	if s.isBytes() {
		return bytes.Clone(w.take(w.count())) // nil if empty, as gob decodes it
	}
	t := w.types[id]
	n := w.count()
	switch s.kind {
	case reflect.Slice:
		return w.list(n, t.elem, s.elem)
	case reflect.Array:
		if int64(n) != s.len {
			w.valueFail(ErrMismatch)
		}
		return append([]any{}, w.list(n, t.elem, s.elem)...)
	}
	return w.dict(n, t, s)
}

// list reads n values of type id as s, nil if n is 0.
func (w *walker) list(n int, id int64, s *shape) []any {
	var l []any
	if n > 0 {
		l = make([]any, 0, min(n, 64)) // n is what the stream claims
	}
	for i := 0; i < n && w.err == nil; i++ {
		l = append(l, w.decode(id, s))
	}
	return l
}

// dict reads the n keys and values of a map of type t, which fits s.
func (w *walker) dict(n int, t wireType, s *shape) any {
	hint := min(n, 64) // n is what the stream claims
	switch predefined(s.key.kind) {
	case gobStringID:
		return fill(w, n, t, s, make(map[string]any, hint), func(k any) (string, bool) { ks, ok := k.(string); return ks, ok })
	case gobIntID:
		return fill(w, n, t, s, make(map[int64]any, hint), func(k any) (int64, bool) {
			if v := reflect.ValueOf(k); v.CanInt() {
				return v.Int(), true
			}
			return 0, false
		})
	case gobUintID:
		return fill(w, n, t, s, make(map[uint64]any, hint), func(k any) (uint64, bool) {
			if v := reflect.ValueOf(k); v.CanUint() {
				return v.Uint(), true
			}
			return 0, false
		})
	}
	return fill(w, n, t, s, make(map[any]any, hint), func(k any) (any, bool) {
		if k != nil && !reflect.ValueOf(k).Comparable() {
			w.valueFail(ErrUnhashable)
			return nil, false
		}
		return k, true
	})
}

// fill reads n keys and values into m, each key made a K by key; a key
// that failed to decode is left out.
func fill[K comparable](w *walker, n int, t wireType, s *shape, m map[K]any, key func(any) (K, bool)) map[K]any {
	for i := 0; i < n && w.err == nil; i++ {
		k := w.decode(t.key, s.key)
		v := w.decode(t.elem, s.elem)
		if w.verr != nil {
			continue
		}
		if mk, ok := key(k); ok {
			m[mk] = v
		}
	}
	return m
}

// signed returns x as the integer type of kind k, if it fits.
func (w *walker) signed(k reflect.Kind, x int64) any {
	switch {
	case k == reflect.Int64:
		return x
	case k == reflect.Int && x == int64(int(x)):
		return int(x)
	case k == reflect.Int32 && x == int64(int32(x)):
		return int32(x)
	case k == reflect.Int16 && x == int64(int16(x)):
		return int16(x)
	case k == reflect.Int8 && x == int64(int8(x)):
		return int8(x)
	}
	w.valueFail(ErrMismatch)
	return nil
}

// unsigned returns x as the integer type of kind k, if it fits.
func (w *walker) unsigned(k reflect.Kind, x uint64) any {
	switch {
	case k == reflect.Uint64:
		return x
	case k == reflect.Uint && x == uint64(uint(x)):
		return uint(x)
	case k == reflect.Uintptr && x == uint64(uintptr(x)):
		return uintptr(x)
	case k == reflect.Uint32 && x == uint64(uint32(x)):
		return uint32(x)
	case k == reflect.Uint16 && x == uint64(uint16(x)):
		return uint16(x)
	case k == reflect.Uint8 && x == uint64(uint8(x)):
		return uint8(x)
	}
	w.valueFail(ErrMismatch)
	return nil
}

// float reads a float, whose bytes gob reverses.
func (w *walker) float() float64 { return math.Float64frombits(bits.ReverseBytes64(w.uint())) }

// float32 reads a float that must fit a float32 (an infinity does), as
// gob checks.
func (w *walker) float32() float32 {
	f := w.float()
	if a := math.Abs(f); a > math.MaxFloat32 && a <= math.MaxFloat64 {
		w.valueFail(ErrMismatch)
	}
	return float32(f)
}
