package bench_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/gorilla/securecookie"
)

// The payloads are typical session contents at three sizes of their JSON
// encoding: small (about 50 bytes), medium (about 600) and large (about
// 2.5 KB). TestPayloadSizes pins the sizes.

type smallPayload struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	Admin  bool   `json:"admin"`
}

type mediumPayload struct {
	UserID      int64     `json:"user_id"`
	Email       string    `json:"email"`
	DisplayName string    `json:"display_name"`
	Locale      string    `json:"locale"`
	TimeZone    string    `json:"time_zone"`
	Roles       []string  `json:"roles"`
	TeamIDs     []int64   `json:"team_ids"`
	CSRFToken   string    `json:"csrf_token"`
	LoginAt     time.Time `json:"login_at"`
	LastSeen    time.Time `json:"last_seen"`
	ReturnTo    string    `json:"return_to"`
	Theme       string    `json:"theme"`
	Flags       []string  `json:"flags"`
	MFA         bool      `json:"mfa"`
	Plan        string    `json:"plan"`
}

type cartItem struct {
	SKU        string `json:"sku"`
	Title      string `json:"title"`
	Quantity   int    `json:"quantity"`
	PriceCents int64  `json:"price_cents"`
	Gift       bool   `json:"gift"`
}

type largePayload struct {
	Profile mediumPayload `json:"profile"`
	Cart    []cartItem    `json:"cart"`
}

var (
	small = smallPayload{UserID: 4211, Name: "Alice Example", Admin: false}

	medium = mediumPayload{
		UserID:      4211,
		Email:       "alice.example@mail.example.com",
		DisplayName: "Alice Example",
		Locale:      "en-GB",
		TimeZone:    "Europe/London",
		Roles:       []string{"member", "billing-admin", "project-owner", "support-reader"},
		TeamIDs:     []int64{1029, 2231, 48812, 50031, 77120},
		// A token is random in real life; its length is what matters here.
		CSRFToken: base64.RawURLEncoding.EncodeToString(make([]byte, 32)),
		LoginAt:   time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC),
		LastSeen:  time.Date(2025, 3, 14, 11, 2, 7, 0, time.UTC),
		ReturnTo:  "/projects/48812/settings/members?page=2&sort=name&filter=active&per_page=50&view=grid",
		Theme:     "dark",
		Flags:     []string{"new-editor", "beta-search", "compact-lists", "keyboard-shortcuts"},
		MFA:       true,
		Plan:      "team-annual",
	}

	large = largePayload{Profile: medium, Cart: cart(15)}
)

func cart(n int) []cartItem {
	items := make([]cartItem, n)
	for i := range items {
		items[i] = cartItem{
			SKU:        fmt.Sprintf("SKU-%06d-%02d", 100000+i*7919, i),
			Title:      fmt.Sprintf("Item %d: stainless steel water bottle, 750 ml", i+1),
			Quantity:   1 + i%3,
			PriceCents: int64(1299 + i*250),
			Gift:       i%4 == 0,
		}
	}
	return items
}

func TestPayloadSizes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		value    any
		min, max int
	}{
		{"small", small, 40, 80},
		{"medium", medium, 550, 650},
		{"large", large, 2400, 2600},
	} {
		b, err := json.Marshal(tc.value)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes of JSON", tc.name, len(b))
		if len(b) < tc.min || len(b) > tc.max {
			t.Errorf("%s: got %d bytes of JSON, want %d to %d", tc.name, len(b), tc.min, tc.max)
		}
	}
}

// impl is one of the codecs under comparison, named for benchstat's /impl.
type impl struct {
	name  string
	codec securecookie.Codec
}

// impls returns our Codec and gorilla's securecookie with its default
// serializer (gob) and with JSON, each with a fresh key. securecookie
// encrypts (AES-256-CTR) and MACs (HMAC-SHA256), as gorilla/sessions users
// are told to configure it. Its 4096-byte length check is off so the large
// payload can be measured: securecookie's large cookie is over that limit
// (see the cookie-bytes metric), and a browser would drop it.
func impls(tb testing.TB) []impl {
	gob := securecookie.New(hashKey(), cookiesession.GenerateKey()).MaxLength(0)
	js := securecookie.New(hashKey(), cookiesession.GenerateKey()).MaxLength(0)
	js.SetSerializer(securecookie.JSONEncoder{})
	return []impl{
		{"cookiesession", newCodec(tb, cookiesession.GenerateKey())},
		{"securecookie-gob", gob},
		{"securecookie-json", js},
	}
}

// hashKey is a 64-byte HMAC key, the size securecookie recommends.
func hashKey() []byte {
	return append(cookiesession.GenerateKey(), cookiesession.GenerateKey()...)
}

const cookieName = "session"

// roundTrip encodes v with c, decodes the result and checks that it comes
// back equal. It returns the encoded value.
func roundTrip[T any](tb testing.TB, c securecookie.Codec, v *T) string {
	tb.Helper()
	s, err := c.Encode(cookieName, v)
	if err != nil {
		tb.Fatal(err)
	}
	var got T
	if err := c.Decode(cookieName, s, &got); err != nil {
		tb.Fatal(err)
	}
	if !reflect.DeepEqual(&got, v) {
		tb.Fatalf("round trip: got %+v, want %+v", got, *v)
	}
	return s
}

// sized is one of the payloads, with encode and decode bound to its type.
type sized struct {
	name      string
	roundTrip func(testing.TB, securecookie.Codec) string
	encode    func(securecookie.Codec) (string, error)
	decode    func(securecookie.Codec, string) error // into a fresh value
}

func newSized[T any](name string, v *T) sized {
	return sized{
		name:      name,
		roundTrip: func(tb testing.TB, c securecookie.Codec) string { return roundTrip(tb, c, v) },
		encode:    func(c securecookie.Codec) (string, error) { return c.Encode(cookieName, v) },
		decode: func(c securecookie.Codec, s string) error {
			var got T
			return c.Decode(cookieName, s, &got)
		},
	}
}

var payloads = []sized{newSized("small", &small), newSized("medium", &medium), newSized("large", &large)}

// benchEach runs loop as b.Run("size=…/impl=…") for every payload and impl,
// with s a cookie value that encodes the payload.
func benchEach(b *testing.B, loop func(b *testing.B, c securecookie.Codec, p sized, s string)) {
	for _, p := range payloads {
		b.Run("size="+p.name, func(b *testing.B) {
			for _, im := range impls(b) {
				b.Run("impl="+im.name, func(b *testing.B) {
					s := p.roundTrip(b, im.codec)
					b.ReportAllocs()
					loop(b, im.codec, p, s)
				})
			}
		})
	}
}

func BenchmarkEncodeDecode(b *testing.B) {
	benchEach(b, func(b *testing.B, c securecookie.Codec, p sized, s string) {
		for b.Loop() {
			s, err := p.encode(c)
			if err != nil {
				b.Fatal(err)
			}
			if err := p.decode(c, s); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(cookieName)+len(s)), "cookie-bytes")
	})
}

func BenchmarkEncode(b *testing.B) {
	benchEach(b, func(b *testing.B, c securecookie.Codec, p sized, _ string) {
		for b.Loop() {
			if _, err := p.encode(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	benchEach(b, func(b *testing.B, c securecookie.Codec, p sized, s string) {
		for b.Loop() {
			if err := p.decode(c, s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeKeyRing decodes the medium payload with rings of 1 and 16
// keys, the cookie sealed by the primary or by the last key in the ring
// (for one key, the two are the same key). Routing by key ID should make
// the cost independent of both.
func BenchmarkDecodeKeyRing(b *testing.B) {
	for _, sealer := range []string{"primary", "last"} {
		for _, n := range []int{1, 16} {
			b.Run(fmt.Sprintf("sealer=%s/keys=%d", sealer, n), func(b *testing.B) {
				secrets := make([][]byte, n)
				for i := range secrets {
					secrets[i] = cookiesession.GenerateKey()
				}
				sealedBy := secrets[0]
				if sealer == "last" {
					sealedBy = secrets[n-1]
				}
				s := roundTrip(b, newCodec(b, sealedBy), &medium)
				codec := newCodec(b, secrets...)
				b.ReportAllocs()
				for b.Loop() {
					var got mediumPayload
					if err := codec.Decode(cookieName, s, &got); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
