package routers

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/gin-gonic/gin"
)

// Each router must carry exactly one session cookie on the response of a
// handler that sets a value.
func TestRouters(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	keys, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := cookiesession.New(keys, cookiesession.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]http.Handler{
		"chi":         chiRouter(sessions),
		"gorilla/mux": gorillaRouter(sessions),
		"echo":        echoServer(sessions),
		"gin":         ginServer(sessions),
	} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 || cookies[0].Name != "__Host-session" {
				t.Fatalf("got cookies %v, want one __Host-session cookie", cookies)
			}
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(cookies[0])
			var seen bool
			if ok, err := sessions.Load(req).Get("seen", &seen); !ok || err != nil || !seen {
				t.Fatalf("got seen=%v ok=%v err=%v, want true", seen, ok, err)
			}
		})
	}
}
