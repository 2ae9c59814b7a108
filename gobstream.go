package cookiesession

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// This file splits a gob stream holding one map[interface{}]interface{}, the
// way gorilla/sessions stores session values, into its keys and values, so
// that one value whose type this process cannot decode does not lose the
// others. The stream is walked with the type definitions it carries, then
// each key and value is handed to encoding/gob on its own.
//
// Two features of gob's framing shape the walk. The encoder defines a type
// the first time a value of it is sent, in the middle of whatever it is
// writing: inside the top-level map it ends the current message after the
// definition and goes on in the next; inside an interface value nested in
// another, it puts the definition inline, each piece of the enclosing value
// after it preceded by a byte count. So an interface value's byte count does
// not always span the value, and a type may be defined inside one entry and
// used by a later one. The walk therefore follows every value by its type,
// keeps the definitions apart, and re-encodes each key and value without
// them, with its byte count made right.

var (
	// errGobMap is matched by the error of gobMapEntries for a stream that
	// is not the gob encoding of one map[interface{}]interface{}.
	errGobMap = errors.New("cookiesession: not a gob-encoded map[interface{}]interface{}")
	// errGobPanic is the error of a key or value whose decoding panicked, in
	// encoding/gob or in the GobDecode or UnmarshalBinary method of its type.
	errGobPanic = errors.New("cookiesession: encoding/gob panicked decoding a value")
)

// gobEntry is one key and value of a gob-encoded map[interface{}]interface{}, each decoded
// on its own: an error in one leaves the others readable.
type gobEntry struct {
	key      any
	keyErr   error
	value    any
	valueErr error
}

const (
	// Type ids that gob predefines, and the first it grants to other types.
	gobBoolID, gobIntID, gobUintID, gobFloatID = 1, 2, 3, 4
	gobBytesID, gobStringID, gobComplexID      = 5, 6, 7
	gobInterfaceID, gobFirstUserID             = 8, 64

	// Kinds of defined types: the field number of gob's wireType that is
	// set. GobEncoderT, BinaryMarshalerT and TextMarshalerT follow gobMap.
	gobArray, gobSlice, gobStruct, gobMap = 0, 1, 2, 3

	maxGobDepth = 1000 // how deeply values may nest
)

// gobLastField is the last field number of each kind's description, after
// its CommonType in field 0: Elem and Len, Elem, Field, Key and Elem, none.
var gobLastField = [...]int{2, 1, 1, 2, 0, 0, 0}

// gobType is what the walk needs of a type defined in the stream.
type gobType struct {
	kind      int
	key, elem int64   // map key; array, slice and map element
	fields    []int64 // struct field types, by field number
}

// gobWalker reads a gob stream, copying every byte it reads of the current
// message to out; callers drop what is not part of a key or value. Its
// methods record the first error in err and do nothing once it is set,
// returning zero values.
type gobWalker struct {
	msg   []byte // unread bytes of the current message
	rest  []byte // messages not yet read
	size  int    // length of the whole stream
	err   error
	depth int
	types map[int64]gobType
	defs  []byte // every type definition, each as a message of its own
	out   []byte
}

// gobMapEntries splits stream, the gob encoding of one map[interface{}]interface{}, into its
// entries in stream order, decoding each key and each value with encoding/gob on its own, so
// that a value whose concrete type is not registered in this process (or otherwise fails to
// decode) fails alone. It returns an error only if stream is not such a map at all
// (truncated, malformed, another top-level type, trailing data).
//
// An entry's keyErr or valueErr is the error of encoding/gob for that key
// or value alone (an unregistered type name, a registered type that does
// not match the stream's, a GobDecode that fails), or errGobPanic; its key
// or value is then nil. A nil key or value is nil with no error. Duplicate
// keys are all returned, and a key as decoded, even of a type that cannot
// be a map key. An empty map gives no entries and no error. A stream error
// matches errGobMap: the stream does not follow its own type definitions
// (or nests values deeper than maxGobDepth), or encoding/gob refuses those
// definitions.
func gobMapEntries(stream []byte) ([]gobEntry, error) {
	w := &gobWalker{rest: stream, size: len(stream), types: make(map[int64]gobType)}
	ends := w.mapParts()
	if w.err != nil {
		return nil, w.err
	}
	entries := make([]gobEntry, len(ends)/2)
	if len(entries) == 0 {
		return entries, nil
	}
	// One decoder reads all the definitions, once, before a nil value, then
	// each key and value as a top-level interface value of its own.
	s := w.defs
	for i := range ends {
		start := len(s)
		s = append(s, gobInterfaceID<<1, 0) // the type id as gob writes an int, and a singleton's delta
		if i == 0 {
			s = append(s, 0)
		} else {
			s = append(s, w.out[ends[i-1]:ends[i]]...)
		}
		s = insertLength(s, start)
	}
	dec := gob.NewDecoder(bytes.NewReader(s))
	if _, err := decodeAny(dec); err != nil {
		return nil, fmt.Errorf("%w: encoding/gob refuses its type definitions: %w", errGobMap, err)
	}
	for i := range entries {
		e := &entries[i]
		e.key, e.keyErr = decodeAny(dec)
		e.value, e.valueErr = decodeAny(dec)
	}
	return entries, nil
}

// decodeAny decodes the next value of dec, recovering from a panic in
// encoding/gob or in a type's own decoding method.
func decodeAny(dec *gob.Decoder) (v any, err error) {
	defer func() {
		if recover() != nil {
			v, err = nil, errGobPanic
		}
	}()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// mapParts reads the stream's one map[interface{}]interface{} and returns
// where its keys and values lie in w.out: w.out[ends[i-1]:ends[i]] is a key
// for odd i and its value for even i.
func (w *gobWalker) mapParts() (ends []int) {
	t, ok := w.types[w.typeSequence(false)]
	if w.err == nil && (!ok || t.kind != gobMap || t.key != gobInterfaceID || t.elem != gobInterfaceID) {
		w.fail("the value is not a map[interface{}]interface{}")
	}
	if w.uint() != 0 {
		w.fail("the value is not a singleton")
	}
	n := w.count()
	ends = append(make([]int, 0, 1+2*n), len(w.out))
	for range 2 * n {
		w.iface()
		ends = append(ends, len(w.out))
	}
	if len(w.msg)+len(w.rest) > 0 {
		w.fail("trailing data")
	}
	return ends
}

// typeSequence reads type definitions up to a type id, and returns the id,
// or -1 after an error. It reads the next message when the current one is
// used up, as gob's decoder does; inside an interface value, the byte count
// that may follow a definition is read and dropped.
func (w *gobWalker) typeSequence(inInterface bool) int64 {
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
func (w *gobWalker) nextMessage() {
	w.msg, w.rest = w.rest, nil
	mark := len(w.out)
	n := w.count()
	w.out = w.out[:mark]
	w.msg, w.rest = w.msg[:n], w.msg[n:]
}

// define reads the definition of type id, whose encoding started at
// w.out[mark], and keeps it as a message in w.defs.
func (w *gobWalker) define(id int64, mark int) {
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
func (w *gobWalker) wireType() (t gobType) {
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
func (w *gobWalker) wireField(t *gobType, f int) {
	switch {
	case f == 0:
		w.nameAndID()
	case t.kind == gobStruct:
		for range w.count() {
			t.fields = append(t.fields, w.nameAndID())
		}
	case t.kind == gobArray && f == 2: // Len
		w.int()
	case t.kind == gobMap && f == 1:
		t.key = w.int()
	default: // the element of an array, a slice or a map
		t.elem = w.int()
	}
}

// nameAndID reads a CommonType or a fieldType: a Name, and an Id it returns.
func (w *gobWalker) nameAndID() (id int64) {
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
func (w *gobWalker) fields(last int, read func(field int)) {
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

// iface reads an interface value: the name of its concrete type (empty for
// nil, and then nothing follows), the type's id after any definitions, and
// the byte count and value, whose count it corrects.
func (w *gobWalker) iface() {
	if w.take(w.count()) == nil {
		return
	}
	id := w.typeSequence(true)
	mark := len(w.out)
	w.uint()
	w.out = w.out[:mark]
	if t, ok := w.types[id]; !ok || t.kind != gobStruct {
		w.uint() // the field delta of a singleton, 0; gob checks it
	}
	w.value(id)
	w.out = insertLength(w.out, mark)
}

// value reads a value of type id.
func (w *gobWalker) value(id int64) {
	if w.depth++; w.depth > maxGobDepth {
		w.fail("values nested too deeply")
	}
	switch t, defined := w.types[id]; {
	case id >= gobBoolID && id <= gobFloatID:
		w.uint()
	case id == gobComplexID:
		w.uint()
		w.uint()
	case id == gobBytesID || id == gobStringID:
		w.take(w.count())
	case id == gobInterfaceID:
		w.iface()
	case !defined:
		w.fail("value of an undefined type")
	case t.kind == gobStruct:
		w.fields(len(t.fields)-1, func(f int) { w.value(t.fields[f]) })
	case t.kind == gobMap:
		for range w.count() {
			w.value(t.key)
			w.value(t.elem)
		}
	case t.kind == gobArray || t.kind == gobSlice: // gob checks an array's length
		for range w.count() {
			w.value(t.elem)
		}
	default: // the bytes of a GobEncoder, BinaryMarshaler or TextMarshaler
		w.take(w.count())
	}
	w.depth--
}

// uint reads an unsigned integer: a byte below 0x80, or the negated count
// of the big-endian bytes that follow, at most 8.
func (w *gobWalker) uint() (x uint64) {
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
func (w *gobWalker) int() int64 {
	u := w.uint()
	return int64(u>>1) ^ -int64(u&1)
}

// count reads a count of items, each at least one byte of the stream.
func (w *gobWalker) count() int {
	n := w.uint()
	if n > uint64(len(w.msg)+len(w.rest)) {
		w.fail("count larger than the stream")
		return 0
	}
	return int(n)
}

// take reads n bytes, and returns them, or nil if n is 0.
func (w *gobWalker) take(n int) []byte {
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
func (w *gobWalker) fail(reason string) {
	if w.err == nil {
		w.err = fmt.Errorf("%w: %s at byte %d", errGobMap, reason, w.size-len(w.rest)-len(w.msg))
	}
}

// appendGobUint appends x as encoding/gob writes an unsigned integer.
func appendGobUint(b []byte, x uint64) []byte {
	if x < 0x80 {
		return append(b, byte(x))
	}
	n := (bits.Len64(x) + 7) / 8
	b = append(b, byte(-n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(x>>(8*i)))
	}
	return b
}

// insertLength inserts at b[start] the byte count of b[start:], as gob
// writes it before a message or an interface's value.
func insertLength(b []byte, start int) []byte {
	var n [9]byte
	return slices.Insert(b, start, appendGobUint(n[:0], uint64(len(b)-start))...)
}
