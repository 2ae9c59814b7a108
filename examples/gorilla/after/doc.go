// Package after is package before's application moved to cookiesession.
// Its sessions are sealed with the key ring; until the migration ends,
// it also reads the cookies that before sealed with hashKey and blockKey,
// so nobody is signed out by the move.
package after
