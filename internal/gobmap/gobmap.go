// Package gobmap reads the gob encoding of one map[interface{}]interface{},
// the way gorilla/sessions stores session values, entry by entry, so that
// one key or value that cannot be read does not lose the others.
//
// Values of Go's built-in types are decoded by this package from the type
// definitions in the stream, without encoding/gob's registry: a program
// reads []interface{}, map[string]interface{} or time.Time values without
// calling gob.Register. Values of named types are decoded by encoding/gob
// into the type registered under their name.
//
// Two features of gob's framing shape the walk. The encoder defines a type
// the first time a value of it is sent, in the middle of whatever it is
// writing: inside the top-level map it ends the current message after the
// definition and goes on in the next; inside an interface value nested in
// another, it puts the definition inline, each piece of the enclosing value
// after it preceded by a byte count. So an interface value's byte count does
// not always span the value, and a type may be defined inside one entry and
// used by a later one. The walk therefore follows every value by its type,
// keeps the definitions apart, and hands each value of a named type to
// encoding/gob re-encoded without them, with its byte count made right.
package gobmap

import (
	"errors"
	"fmt"
	"math"
)

// ErrStream is matched by the error of [Entries] for a stream that is not
// the gob encoding of one map[interface{}]interface{}.
var ErrStream = errors.New("gobmap: not a gob-encoded map[interface{}]interface{}")

// Entry is one key and value of the map, each decoded on its own: an error
// in one leaves the others readable.
//
// KeyName and ValueName are the gob names of the concrete types of Key and
// Value as the stream gives them ("string", "[]interface {}", "main.User"),
// empty for nil. KeyErr and ValueErr are *ValueError; Key or Value is then
// nil.
type Entry struct {
	Key, Value         any
	KeyName, ValueName string
	KeyErr, ValueErr   error
}

const (
	// Type ids that gob predefines, and the first it grants to other types.
	gobBoolID, gobIntID, gobUintID, gobFloatID = 1, 2, 3, 4
	gobBytesID, gobStringID, gobComplexID      = 5, 6, 7
	gobInterfaceID, gobFirstUserID             = 8, 64

	// Kinds of defined types: the field number of gob's wireType that is
	// set.
	gobArray, gobSlice, gobStruct, gobMap, gobEncoder = 0, 1, 2, 3, 4

	maxDepth = 1000 // how deeply values may nest
)

// gobLastField is the last field number of each kind's description, after
// its CommonType in field 0: Elem and Len, Elem, Field, Key and Elem, none
// (GobEncoderT, BinaryMarshalerT, TextMarshalerT).
var gobLastField = [...]int{2, 1, 1, 2, 0, 0, 0}

// wireType is what the walk needs of a type defined in the stream.
type wireType struct {
	kind      int
	key, elem int64   // map key; array, slice and map element
	len       int64   // array length
	fields    []int64 // struct field types, by field number
}

// walker reads a gob stream, copying every byte it reads of the current
// message to out; callers drop what is not part of a value handed to
// encoding/gob. Its methods record the first stream error in err and do
// nothing once it is set, returning zero values; an error of the value
// being decoded goes to verr, and the walk goes on.
type walker struct {
	msg   []byte // unread bytes of the current message
	rest  []byte // messages not yet read
	size  int    // length of the whole stream
	err   error
	verr  error  // the first error of the current top-level key or value
	name  string // the gob name of the interface value being decoded
	depth int
	types map[int64]wireType
	defs  []byte // every type definition, each as a message of its own
	out   []byte

	shapes map[string]*shape // parsed gob names; nil for a named type
	gob    gobDecoder
}

// Entries splits stream, the gob encoding of one map[interface{}]interface{},
// into its entries in stream order. It returns an error, matching
// [ErrStream], only if stream is not such a map at all: truncated or
// malformed, another top-level type, trailing data, values that do not
// follow the stream's own type definitions or nest deeper than 1000 levels.
// An empty map gives no entries and no error. Duplicate keys are all
// returned, and a key as decoded, even of a type that cannot be a map key.
//
// A key or value of a type whose gob name names no package (a combination
// of bool, integers, floats, complex numbers, strings, []byte, slices,
// arrays, maps and interface{}), or of time.Time, is decoded by this
// package, with no registration, into:
//
//   - bool, string, and the integer, float and complex type its name says;
//   - []byte (nil if empty, as gob decodes it), and time.Time by its
//     UnmarshalBinary;
//   - []interface{} for a slice (nil if empty, as gob decodes it) or an
//     array;
//   - map[string]interface{}, map[int64]interface{} or
//     map[uint64]interface{} for a map whose keys are strings, signed or
//     unsigned integers, and map[interface{}]interface{} for other keys;
//   - the value itself for an interface value, decoded by the same rules.
//
// Any other value (a gob name with a package, such as "main.User" or
// "*main.User", or "[]main.User") is decoded by encoding/gob into the type
// registered under its name, as a whole: a built-in value inside it, in a
// field of interface type, needs its type registered too.
func Entries(stream []byte) ([]Entry, error) {
	w := &walker{rest: stream, size: len(stream), types: make(map[int64]wireType), shapes: make(map[string]*shape)}
	entries := w.mapEntries()
	if w.err != nil {
		return nil, w.err
	}
	return entries, nil
}

// mapEntries reads the stream's one map[interface{}]interface{}.
func (w *walker) mapEntries() []Entry {
	t, ok := w.types[w.typeSequence(false)]
	if w.err == nil && (!ok || t.kind != gobMap || t.key != gobInterfaceID || t.elem != gobInterfaceID) {
		w.fail("the value is not a map[interface{}]interface{}")
	}
	if w.uint() != 0 {
		w.fail("the value is not a singleton")
	}
	entries := make([]Entry, w.count())
	for i := range entries {
		e := &entries[i]
		w.verr = nil
		e.Key, e.KeyName = w.iface()
		e.KeyErr, w.verr = w.verr, nil
		e.Value, e.ValueName = w.iface()
		e.ValueErr = w.verr
		if e.KeyErr != nil {
			e.Key = nil
		}
		if e.ValueErr != nil {
			e.Value = nil
		}
	}
	if len(w.msg)+len(w.rest) > 0 {
		w.fail("trailing data")
	}
	return entries
}

// typeSequence reads type definitions up to a type id, and returns the id,
// or -1 after an error. It reads the next message when the current one is
// used up, as gob's decoder does; inside an interface value, the byte count
// that may follow a definition is read and dropped.
func (w *walker) typeSequence(inInterface bool) int64 {
	for w.err == nil {
		if len(w.msg) == 0 {
			w.nextMessage()
		}
		mark := len(w.out)
		id := w.int()
		if w.err != nil {
			break
		}
		if id >= 0 {
			return id
		}
		w.define(-id, mark)
		if len(w.msg) > 0 && !inInterface {
			w.fail("data after a type definition")
		} else if len(w.msg) > 0 {
			w.uint()
		}
		w.out = w.out[:mark]
	}
	return -1
}

// nextMessage makes the next message of the stream the current one.
func (w *walker) nextMessage() {
	w.msg, w.rest = w.rest, nil
	mark := len(w.out)
	n := w.count()
	w.out = w.out[:mark]
	w.msg, w.rest = w.msg[:n], w.msg[n:]
}

// define reads the definition of type id, whose encoding started at
// w.out[mark], and keeps it as a message in w.defs.
func (w *walker) define(id int64, mark int) {
	if id < gobFirstUserID || id > math.MaxInt32 {
		w.fail("type id out of range")
	} else if _, dup := w.types[id]; dup {
		w.fail("type defined twice")
	}
	t := w.wireType()
	if w.err == nil {
		w.types[id] = t
		start := len(w.defs)
		w.defs = insertLength(append(w.defs, w.out[mark:]...), start)
	}
}

// wireType reads the encoding of gob's wireType, a struct with one field
// set, which describes the type as a struct of that field's kind.
func (w *walker) wireType() (t wireType) {
	kinds := 0
	w.fields(len(gobLastField)-1, func(kind int) {
		kinds++
		t.kind = kind
		w.fields(gobLastField[kind], func(f int) { w.wireField(&t, f) })
	})
	if kinds != 1 {
		w.fail("type definition of no single kind")
	}
	return t
}

// wireField reads field f of t's description.
func (w *walker) wireField(t *wireType, f int) {
	switch {
	case f == 0:
		w.nameAndID()
	case t.kind == gobStruct:
		for range w.count() {
			t.fields = append(t.fields, w.nameAndID())
		}
	case t.kind == gobArray && f == 2:
		t.len = w.int()
	case t.kind == gobMap && f == 1:
		t.key = w.int()
	default: // the element of an array, a slice or a map
		t.elem = w.int()
	}
}

// nameAndID reads a CommonType or a fieldType: a Name, and an Id it returns.
func (w *walker) nameAndID() (id int64) {
	w.fields(1, func(f int) {
		if f == 0 {
			w.take(w.count())
		} else {
			id = w.int()
		}
	})
	return id
}

// fields reads a struct's fields, each the delta of its field number and
// what read reads, up to the end mark; a field number past last is an error.
func (w *walker) fields(last int, read func(field int)) {
	for field := -1; w.err == nil; {
		d := w.uint()
		if d == 0 {
			return
		}
		if d > uint64(last-field) {
			w.fail("field number out of range")
			return
		}
		field += int(d)
		read(field)
	}
}

// iface reads an interface value and returns it, decoded, and the gob name
// of its concrete type. A value of a built-in type is decoded here, any
// other by encoding/gob; an error of either goes to w.verr.
func (w *walker) iface() (any, string) {
	mark := len(w.out)
	defer func() { w.out = w.out[:mark] }()
	name, id := w.ifaceHead()
	if w.err != nil || name == "" {
		return nil, name
	}
	outer := w.name
	w.name = name
	defer func() { w.name = outer }()
	s := w.shapeOf(name)
	if s == nil {
		if w.ifaceBody(id); w.err != nil {
			return nil, name
		}
		return w.gobDecode(w.out[mark:]), name
	}
	w.uint() // the byte count, which need not span the value
	if !w.singleton(id) || !w.fits(id, s) {
		w.valueFail(ErrMismatch)
		w.skip(id)
		return nil, name
	}
	return w.decode(id, s), name
}

// skipIface reads an interface value, leaving in w.out its encoding as
// encoding/gob reads it on its own: without type definitions, its byte
// count made right.
func (w *walker) skipIface() {
	if name, id := w.ifaceHead(); name != "" {
		w.ifaceBody(id)
	}
}

// ifaceHead reads the name of an interface value's concrete type (empty
// for nil, and then nothing follows), and the type's id after any
// definitions.
func (w *walker) ifaceHead() (name string, id int64) {
	if name = string(w.take(w.count())); name == "" {
		return "", 0
	}
	return name, w.typeSequence(true)
}

// ifaceBody reads an interface value's byte count and value, and puts the
// right byte count before the value in w.out.
func (w *walker) ifaceBody(id int64) {
	start := len(w.out)
	w.uint()
	w.out = w.out[:start]
	w.singleton(id)
	w.skip(id)
	w.out = insertLength(w.out, start)
}

// singleton reads the field delta before a value of type id that is not a
// struct, and reports whether it is 0, as gob requires.
func (w *walker) singleton(id int64) bool {
	if t, ok := w.types[id]; ok && t.kind == gobStruct {
		return true
	}
	return w.uint() == 0
}

// skip reads a value of type id, copying it to w.out.
func (w *walker) skip(id int64) {
	if !w.enter() {
		return
	}
	defer w.leave()
	switch t, defined := w.types[id]; {
	case id >= gobBoolID && id <= gobFloatID:
		w.uint()
	case id == gobComplexID:
		w.uint()
		w.uint()
	case id == gobBytesID || id == gobStringID:
		w.take(w.count())
	case id == gobInterfaceID:
		w.skipIface()
	case !defined:
		w.fail("value of an undefined type")
	case t.kind == gobStruct:
		w.fields(len(t.fields)-1, func(f int) { w.skip(t.fields[f]) })
	case t.kind == gobMap:
		for range w.count() {
			w.skip(t.key)
			w.skip(t.elem)
		}
	case t.kind == gobArray || t.kind == gobSlice: // gob checks an array's length
		for range w.count() {
			w.skip(t.elem)
		}
	default: // the bytes of a GobEncoder, BinaryMarshaler or TextMarshaler
		w.take(w.count())
	}
}

// enter counts a level of nesting, and reports whether it is allowed.
func (w *walker) enter() bool {
	if w.depth++; w.depth > maxDepth {
		w.fail("values nested too deeply")
	}
	return w.err == nil
}

func (w *walker) leave() { w.depth-- }

// uint reads an unsigned integer: a byte below 0x80, or the negated count
// of the big-endian bytes that follow, at most 8.
func (w *walker) uint() (x uint64) {
	switch b := w.take(1); {
	case b == nil:
	case b[0] < 0x80:
		x = uint64(b[0])
	case b[0] < 0xf8:
		w.fail("integer of more than 8 bytes")
	default:
		for _, c := range w.take(-int(int8(b[0]))) {
			x = x<<8 | uint64(c)
		}
	}
	return x
}

// int reads a signed integer, whose bit 0 says whether to complement the
// others.
func (w *walker) int() int64 {
	u := w.uint()
	return int64(u>>1) ^ -int64(u&1)
}

// count reads a count of items, each at least one byte of the stream.
func (w *walker) count() int {
	n := w.uint()
	if n > uint64(len(w.msg)+len(w.rest)) {
		w.fail("count larger than the stream")
		return 0
	}
	return int(n)
}

// take reads n bytes, and returns them, or nil if n is 0.
func (w *walker) take(n int) []byte {
	if w.err != nil || n == 0 {
		return nil
	}
	if n > len(w.msg) {
		w.fail("truncated value")
		return nil
	}
	b := w.msg[:n]
	w.msg = w.msg[n:]
	w.out = append(w.out, b...)
	return b
}

// fail records the first error, with the offset where it was found.
func (w *walker) fail(reason string) {
	if w.err == nil {
		w.err = fmt.Errorf("%w: %s at byte %d", ErrStream, reason, w.size-len(w.rest)-len(w.msg))
	}
}
