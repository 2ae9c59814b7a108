// Package routers shows cookiesession with popular routers. The README's
// router snippets are copied from this file, which keeps them compiling.
package routers

import (
	"net/http"

	"github.com/cookiesession/cookiesession"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	"github.com/labstack/echo/v4"
)

func chiRouter(sessions *cookiesession.Manager) http.Handler {
	r := chi.NewRouter()
	r.Use(sessions.Handler)
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		if err := sessions.Get(r).Set("seen", true); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	return r
}

func gorillaRouter(sessions *cookiesession.Manager) http.Handler {
	r := mux.NewRouter()
	r.Use(sessions.Handler)
	r.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if err := sessions.Get(r).Set("seen", true); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	return r
}

func echoServer(sessions *cookiesession.Manager) http.Handler {
	e := echo.New()
	e.GET("/", func(c echo.Context) error {
		return sessions.Get(c.Request()).Set("seen", true)
	})
	return sessions.Handler(e) // wrap the whole server
}

func ginServer(sessions *cookiesession.Manager) http.Handler {
	r := gin.New()
	r.GET("/", func(c *gin.Context) {
		if err := sessions.Get(c.Request).Set("seen", true); err != nil {
			c.AbortWithError(http.StatusInternalServerError, err)
		}
	})
	return sessions.Handler(r) // wrap the whole engine
}
