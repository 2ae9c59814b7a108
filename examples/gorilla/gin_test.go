package gorilla_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	ginsessions "github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
)

// ginState is what both gin applications answer on GET /.
type ginState struct {
	User    string   `json:"user"`
	Visits  int      `json:"visits"`
	Flashes []string `json:"flashes"`
}

// ginOld is a gin application on gin-contrib/sessions' cookie store.
func ginOld(hashKey, blockKey []byte) http.Handler {
	r := gin.New()
	r.Use(ginsessions.Sessions("mysession", cookie.NewStore(hashKey, blockKey)))
	r.GET("/", func(c *gin.Context) {
		s := ginsessions.Default(c)
		user, _ := s.Get("user").(string)
		visits, _ := s.Get("visits").(int)
		flashes := s.Flashes()
		s.Set("visits", visits+1)
		if err := s.Save(); err != nil {
			c.AbortWithError(http.StatusInternalServerError, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"user": user, "visits": visits + 1, "flashes": flashes})
	})
	r.POST("/login", func(c *gin.Context) {
		s := ginsessions.Default(c)
		s.Set("user", c.PostForm("name"))
		s.AddFlash("Welcome")
		if err := s.Save(); err != nil {
			c.AbortWithError(http.StatusInternalServerError, err)
			return
		}
		c.Status(http.StatusNoContent)
	})
	return r
}

// ginNew is the same application on cookiesession, reading ginOld's
// cookies until migration ends.
func ginNew(t *testing.T, hashKey, blockKey []byte) http.Handler {
	m, err := cookiesession.New(cookiesession.InsecureDevelopmentKeyRing(), cookiesession.Config{
		Migrate: &cookiesession.GorillaCookie{
			Name: "mysession", KeyPairs: [][]byte{hashKey, blockKey}, Until: time.Now().Add(30 * 24 * time.Hour),
		},
		OnInvalid: func(r *http.Request, err error) { t.Errorf("OnInvalid got %v, want no call", err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.GET("/", func(c *gin.Context) {
		s := m.Get(c.Request)
		var user string
		var visits int
		s.Get("user", &user)
		s.Get("visits", &visits)
		flashes := s.Flashes("info")
		if err := s.Set("visits", visits+1); err != nil {
			c.AbortWithError(http.StatusInternalServerError, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"user": user, "visits": visits + 1, "flashes": flashes})
	})
	return m.Handler(r)
}

// TestGinContribSwitch signs in on a gin application on gin-contrib's
// cookie store, moves it to cookiesession, and finds the user still
// signed in, with the count and the flash, and the old cookie gone.
func TestGinContribSwitch(t *testing.T) {
	gin.SetMode(gin.TestMode)
	hashKey, blockKey := keys()
	d := deploy(t, ginOld(hashKey, blockKey))
	state := func(want ginState) {
		t.Helper()
		var got ginState
		if err := json.Unmarshal([]byte(d.do(t, "/", nil, http.StatusOK)), &got); err != nil {
			t.Fatal(err)
		}
		if got.User != want.User || got.Visits != want.Visits || !slices.Equal(got.Flashes, want.Flashes) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
	state(ginState{Visits: 1})
	d.do(t, "/login", url.Values{"name": {"alice"}}, http.StatusNoContent)
	state(ginState{User: "alice", Visits: 2, Flashes: []string{"Welcome"}})
	d.do(t, "/login", url.Values{"name": {"alice"}}, http.StatusNoContent)
	if got := d.cookies(); !slices.Equal(got, []string{"mysession"}) {
		t.Fatalf("on gin-contrib/sessions: got cookies %q, want [mysession]", got)
	}

	d.replace(ginNew(t, hashKey, blockKey))
	state(ginState{User: "alice", Visits: 3, Flashes: []string{"Welcome"}})
	if got := d.cookies(); !slices.Equal(got, []string{"__Host-session"}) {
		t.Errorf("on cookiesession: got cookies %q, want [__Host-session]", got)
	}
	state(ginState{User: "alice", Visits: 4})
}
