package bench_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/oauth2-proxy/v7/pkg/apis/sessions"
	"github.com/pierrec/lz4/v4"
	"github.com/vmihailenco/msgpack/v5"
)

// TestOAuth2ProxyCookie opens oauth2-proxy's session cookies by hand, as
// the README describes them, with none of oauth2-proxy's code but its
// SessionState type, for the MessagePack keys: the value is
// split over _oauth2_proxy_0, _oauth2_proxy_1, ... when it does not fit in
// one cookie, and joined it reads "data|timestamp|signature", where
//
//   - signature is base64url (padded) of HMAC-SHA256, keyed with the cookie
//     secret's text, of the cookie name, data and timestamp;
//   - timestamp is the decimal Unix time of the save;
//   - data is base64url (padded) of a 16-byte IV and AES-256-CFB, keyed with
//     the secret's 32 decoded bytes, of an LZ4 frame of the MessagePack of
//     the session.
//
// It logs each layer's size, which the README quotes.
func TestOAuth2ProxyCookie(t *testing.T) {
	secret := newOAuth2ProxySecret()
	key, err := base64.URLEncoding.DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	st := newTokenOAuth2Proxy(t, secret)
	for _, p := range tokenPayloads {
		t.Run(p.name, func(t *testing.T) {
			before := time.Now().Unix()
			cookies := signIn(t, st, &p.session)
			var joined strings.Builder
			for i, c := range cookies {
				want := "_oauth2_proxy"
				if len(cookies) > 1 {
					want += "_" + strconv.Itoa(i)
				}
				if c.Name != want {
					t.Fatalf("cookie %d: got name %q, want %q", i, c.Name, want)
				}
				// Every chunk but the last fills a Set-Cookie line of 4,000
				// bytes, of which the name and the default attributes
				// take 58.
				if i < len(cookies)-1 && len(c.Value) != 3942 {
					t.Errorf("cookie %s: got %d bytes of value, want 3942", c.Name, len(c.Value))
				}
				joined.WriteString(c.Value)
			}
			parts := strings.Split(joined.String(), "|")
			if len(parts) != 3 {
				t.Fatalf("got %d parts separated by |, want 3", len(parts))
			}
			data, stamp, sig := parts[0], parts[1], parts[2]
			mac := hmac.New(sha256.New, []byte(secret))
			io.WriteString(mac, "_oauth2_proxy"+data+stamp)
			if want := base64.URLEncoding.EncodeToString(mac.Sum(nil)); sig != want {
				t.Errorf("signature: got %q, want %q", sig, want)
			}
			if ts, err := strconv.ParseInt(stamp, 10, 64); err != nil || ts < before || ts > time.Now().Unix() {
				t.Errorf("timestamp: got %q, want the Unix time of the save", stamp)
			}
			sealed, err := base64.URLEncoding.DecodeString(data)
			if err != nil {
				t.Fatal(err)
			}
			block, err := aes.NewCipher(key)
			if err != nil {
				t.Fatal(err)
			}
			compressed := make([]byte, len(sealed)-aes.BlockSize)
			cipher.NewCFBDecrypter(block, sealed[:aes.BlockSize]).XORKeyStream(compressed, sealed[aes.BlockSize:]) //nolint:staticcheck // oauth2-proxy's cipher
			packed, err := io.ReadAll(lz4.NewReader(bytes.NewReader(compressed)))
			if err != nil {
				t.Fatal(err)
			}
			var ss sessions.SessionState
			if err := msgpack.Unmarshal(packed, &ss); err != nil {
				t.Fatal(err)
			}
			if ss.IDToken != p.session.IDToken || ss.AccessToken != p.session.AccessToken || ss.RefreshToken != p.session.RefreshToken ||
				ss.Email != p.session.Email || ss.User != p.session.User || ss.ExpiresOn == nil || !ss.ExpiresOn.Equal(p.session.ExpiresOn) {
				t.Errorf("the session opened by hand differs from the one saved")
			}
			t.Logf("payload %d bytes, MessagePack %d, LZ4 %d, sealed %d, base64 %d, cookie value %d, %d cookies of %d bytes",
				p.session.size(), len(packed), len(compressed), len(sealed), len(data), joined.Len(), len(cookies), wireBytes(cookies))
		})
	}
}
