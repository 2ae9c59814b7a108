module github.com/cookiesession/cookiesession

go 1.25.0

require (
	github.com/gorilla/securecookie v1.1.2
	golang.org/x/crypto v0.55.0
)

require golang.org/x/sys v0.47.0 // indirect
