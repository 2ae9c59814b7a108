// Package before is a small application on gorilla/sessions' CookieStore:
// sign in and out, a visit counter, a flash, its sessions sealed with
// hashKey and blockKey. Package after is the same application moved to
// cookiesession; compare them with
//
//	diff -u before/app.go after/app.go
package before
