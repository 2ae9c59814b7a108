package gobmap

import (
	"bytes"
	"encoding/gob"
	"math/bits"
	"slices"
)

// gobDecoder decodes the values of named types with encoding/gob: one
// decoder, fed each type definition once, before the first value that
// may need it. After an error it is dropped, and the next value gets a new
// one, fed every definition again.
type gobDecoder struct {
	dec *gob.Decoder
	in  bytes.Buffer // what dec reads; a bytes.Buffer is an io.ByteReader, so dec reads no further than a message
	fed int          // how much of w.defs dec has been fed
}

// gobDecode decodes iface, the encoding of an interface value of the type
// registered under w.name.
func (w *walker) gobDecode(iface []byte) any {
	g := &w.gob
	if g.dec == nil {
		g.in.Reset()
		g.dec, g.fed = gob.NewDecoder(&g.in), 0
	}
	g.in.Write(w.defs[g.fed:])
	g.fed = len(w.defs)
	// The value, as a message of its own: interface{}'s type id as gob
	// writes an int, a singleton's field delta, then the interface value.
	msg := appendUint(nil, uint64(2+len(iface)))
	g.in.Write(append(append(msg, gobInterfaceID<<1, 0), iface...))
	v, err := decodeAny(g.dec)
	if err != nil {
		g.dec = nil
		w.valueErr(gobError(w.name, err))
		return nil
	}
	return v
}

// decodeAny decodes the next value of dec, recovering from a panic in
// encoding/gob or in a type's own decoding method.
func decodeAny(dec *gob.Decoder) (v any, err error) {
	defer func() {
		if recover() != nil {
			v, err = nil, ErrPanic
		}
	}()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// appendUint appends x as encoding/gob writes an unsigned integer.
func appendUint(b []byte, x uint64) []byte {
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
	return slices.Insert(b, start, appendUint(n[:0], uint64(len(b)-start))...)
}
