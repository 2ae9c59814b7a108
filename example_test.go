package cookiesession_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/cookiesession/cookiesession"
)

func ExampleCodec() {
	// A real service loads its keys with KeyRingFromEnv("SESSION_KEYS").
	ring, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		log.Fatal(err)
	}
	codec := cookiesession.NewCodec(ring, 30*24*time.Hour)

	type prefs struct {
		Theme string
		Lang  string
	}
	value, err := codec.Encode("prefs", prefs{Theme: "dark", Lang: "en"})
	if err != nil {
		log.Fatal(err)
	}

	var got prefs
	if err := codec.Decode("prefs", value, &got); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", got)

	// A value sealed for one cookie does not open as another.
	err = codec.Decode("other", value, &got)
	fmt.Println(errors.Is(err, cookiesession.ErrInvalid))
	// Output:
	// {Theme:dark Lang:en}
	// true
}

func ExampleCodec_Encode_tooLarge() {
	ring, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		log.Fatal(err)
	}
	codec := cookiesession.NewCodec(ring, 0)

	huge := make([]byte, 4000)
	_, err = codec.Encode("big", huge)
	var se *cookiesession.SizeError
	if errors.Is(err, cookiesession.ErrTooLarge) && errors.As(err, &se) {
		fmt.Printf("%d bytes, over the limit of %d\n", se.Size, se.Limit)
	}
	// Output:
	// 7251 bytes, over the limit of 4096
}

func ExampleGenerateKey() {
	key := cookiesession.GenerateKey()

	// Store this in SESSION_KEYS, as a secret: never log or print it.
	encoded := base64.RawURLEncoding.EncodeToString(key)

	ring, err := cookiesession.ParseKeyRing(encoded)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(key), len(encoded), len(ring.Stats()))
	// Output:
	// 32 43 1
}

// Rotating keys: cookies sealed with the old key still open once a new
// key is primary, and Stats shows when the old key is no longer used.
func ExampleParseKeyRing() {
	oldKey := base64.RawURLEncoding.EncodeToString(cookiesession.GenerateKey())
	newKey := base64.RawURLEncoding.EncodeToString(cookiesession.GenerateKey())

	before, err := cookiesession.ParseKeyRing(oldKey)
	if err != nil {
		log.Fatal(err)
	}
	cookie, err := cookiesession.NewCodec(before, 0).Encode("session", "hello")
	if err != nil {
		log.Fatal(err)
	}

	// SESSION_KEYS="new,old": the new key seals, both open.
	ring, err := cookiesession.ParseKeyRing(newKey + "," + oldKey)
	if err != nil {
		log.Fatal(err)
	}
	var s string
	if err := cookiesession.NewCodec(ring, 0).Decode("session", cookie, &s); err != nil {
		log.Fatal(err)
	}
	fmt.Println(s)
	for _, st := range ring.Stats() {
		fmt.Printf("primary=%v opens=%d\n", st.Primary, st.Opens)
	}
	// Output:
	// hello
	// primary=true opens=0
	// primary=false opens=1
}

func ExampleParseKeyRing_refused() {
	// Keys that are not 32 random bytes are refused at start-up.
	for _, keys := range []string{
		"",
		"c2VjcmV0", // "secret"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // 32 zero bytes
	} {
		_, err := cookiesession.ParseKeyRing(keys)
		fmt.Println(err != nil)
	}
	// Output:
	// true
	// true
	// true
}

// A KeyRing prints its key IDs, never its keys.
func ExampleKeyRing_String() {
	// The published development key, so that the output is fixed: do not use.
	ring := cookiesession.InsecureDevelopmentKeyRing()
	fmt.Println(ring)
	fmt.Printf("%#v\n", struct{ Keys *cookiesession.KeyRing }{ring})
	fmt.Println(ring.PrimaryID())
	// Output:
	// KeyRing[a6b3c004]
	// struct { Keys *cookiesession.KeyRing }{Keys:KeyRing[a6b3c004]}
	// a6b3c004
}
