package bench_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The token payloads are what an OpenID Connect sign-in leaves in a
// session: an ID token (a JWT), an opaque access token, a refresh token,
// the access token's expiry, the user's email and name. TestTokenSizes pins
// their sizes.

// tokenSession holds the fields every library under comparison stores.
type tokenSession struct {
	IDToken, AccessToken, RefreshToken string
	ExpiresOn                          time.Time
	Email, User                        string
}

// size is the payload: the bytes of the strings stored, and 8 for the
// expiry.
func (t *tokenSession) size() int {
	return len(t.IDToken) + len(t.AccessToken) + len(t.RefreshToken) + 8 + len(t.Email) + len(t.User)
}

// tokenPayload is a payload under the name benchmarks give it: small is a
// user in two groups (an ID token of about 1.1 KB), groups a user in 150
// (about 5.5 KB).
type tokenPayload struct {
	name    string
	session tokenSession
}

var tokenPayloads = []tokenPayload{
	{"small", newTokenSession(2)},
	{"groups", newTokenSession(150)},
}

// idClaims are the claims of an ID token as a Keycloak-like provider
// issues them.
type idClaims struct {
	Issuer            string   `json:"iss"`
	Subject           string   `json:"sub"`
	Audience          string   `json:"aud"`
	Expiry            int64    `json:"exp"`
	IssuedAt          int64    `json:"iat"`
	AuthTime          int64    `json:"auth_time"`
	Nonce             string   `json:"nonce"`
	AtHash            string   `json:"at_hash"`
	SessionID         string   `json:"sid"`
	Email             string   `json:"email"`
	EmailVerified     bool     `json:"email_verified"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	GivenName         string   `json:"given_name"`
	FamilyName        string   `json:"family_name"`
	Groups            []string `json:"groups"`
}

// newTokenSession returns the session of a user in n groups. Its random
// parts (signature, tokens, IDs) come from a fixed seed, so every run
// measures the same bytes.
func newTokenSession(groups int) tokenSession {
	rnd := rand.New(rand.NewChaCha8([32]byte{'t', 'o', 'k', 'e', 'n', 's'}))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	uuid := func() string {
		b := random(16)
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	}
	b64 := base64.RawURLEncoding.EncodeToString
	issued := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	claims := idClaims{
		Issuer:            "https://login.example.com/realms/staff",
		Subject:           uuid(),
		Audience:          "dashboard",
		Expiry:            issued.Add(5 * time.Minute).Unix(),
		IssuedAt:          issued.Unix(),
		AuthTime:          issued.Unix(),
		Nonce:             b64(random(24)),
		AtHash:            b64(random(16)),
		SessionID:         uuid(),
		Email:             "alice.example@example.com",
		EmailVerified:     true,
		Name:              "Alice Example",
		PreferredUsername: "alice.example",
		GivenName:         "Alice",
		FamilyName:        "Example",
	}
	// Group paths as a directory names them: department, team, role, in
	// no particular order.
	depts := []string{"eng", "sales", "finance", "support", "ops", "research", "legal", "people"}
	teams := []string{"payments", "search", "identity", "billing", "mobile", "data", "infra", "growth", "security", "web", "api", "design"}
	roles := []string{"admins", "readers", "oncall", "leads", "members", "owners"}
	for _, i := range rnd.Perm(len(depts) * len(teams) * len(roles))[:groups] {
		d, t, r := i%len(depts), i/len(depts)%len(teams), i/len(depts)/len(teams)
		claims.Groups = append(claims.Groups, depts[d]+"/"+teams[t]+"-"+roles[r])
	}
	header := `{"alg":"RS256","kid":"` + b64(random(24)) + `","typ":"JWT"}`
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	return tokenSession{
		// A JWT: header, claims and an RS256 (2048-bit) signature.
		IDToken:      b64([]byte(header)) + "." + b64(payload) + "." + b64(random(256)),
		AccessToken:  b64(random(240)),
		RefreshToken: uuid(),
		ExpiresOn:    issued.Add(5 * time.Minute),
		Email:        claims.Email,
		User:         claims.Subject,
	}
}

func TestTokenSizes(t *testing.T) {
	want := map[string][2]int{"small": {1000, 1200}, "groups": {5300, 5700}}
	for _, p := range tokenPayloads {
		s := p.session
		t.Logf("%s: ID token %d bytes, access token %d, refresh token %d, payload %d",
			p.name, len(s.IDToken), len(s.AccessToken), len(s.RefreshToken), s.size())
		if n, w := len(s.IDToken), want[p.name]; n < w[0] || n > w[1] {
			t.Errorf("%s: ID token of %d bytes, want %d to %d", p.name, n, w[0], w[1])
		}
		if len(s.AccessToken) != 320 || len(s.RefreshToken) != 36 {
			t.Errorf("%s: access and refresh tokens of %d and %d bytes, want 320 and 36", p.name, len(s.AccessToken), len(s.RefreshToken))
		}
		parts := strings.Split(s.IDToken, ".")
		if len(parts) != 3 {
			t.Fatalf("%s: ID token in %d parts, want 3", p.name, len(parts))
		}
		raw, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var c idClaims
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if c.Email != s.Email || c.Subject != s.User {
			t.Errorf("%s: claims email %q, sub %q; want %q, %q", p.name, c.Email, c.Subject, s.Email, s.User)
		}
	}
	if n := len(tokenPayloads[1].session.IDToken); n == len(tokenPayloads[0].session.IDToken) {
		t.Errorf("groups: ID token of %d bytes, as long as small's", n)
	}
}
