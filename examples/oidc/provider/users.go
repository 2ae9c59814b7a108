package provider

import (
	"fmt"

	"golang.org/x/text/language"

	"github.com/zitadel/oidc/v3/example/server/storage"
)

// User is an account of the provider. The passwords are published with
// this example: do not use them anywhere else.
type User struct {
	Subject  string // the ID token's sub
	Username string
	Password string
	Given    string // given_name; name is "Given Family"
	Family   string // family_name
	Email    string
	Groups   []string // the ID token's groups claim; none if empty
}

// Alice is an ordinary user, in two groups.
var Alice = User{
	Subject:  "6f1c2a9e-8d47-4b1e-9c3a-2f5d7e8a1b04",
	Username: "alice",
	Password: "alice-demo-password", // published: do not use
	Given:    "Alice",
	Family:   "Example",
	Email:    "alice@example.com",
	Groups:   []string{"staff", "eng-payments-writers"},
}

// Bob is in 150 groups, as users of Entra ID or Keycloak in a large
// organisation often are: his ID token carries every one of them.
var Bob = User{
	Subject:  "b3e9d2c1-5a7f-4e60-8b2d-9c1e4f7a3d58",
	Username: "bob",
	Password: "bob-demo-password", // published: do not use
	Given:    "Bob",
	Family:   "Example",
	Email:    "bob@example.com",
	Groups:   manyGroups(),
}

// manyGroups returns 150 group names such as "eng-payments-readers":
// 5 departments, 15 projects, readers and writers.
func manyGroups() []string {
	departments := []string{"eng", "ops", "sales", "fin", "sec"}
	projects := []string{"payments", "search", "mobile", "billing", "identity", "reports", "infra", "cart",
		"catalog", "support", "pricing", "shipping", "ledger", "hiring", "metrics"}
	var groups []string
	for _, d := range departments {
		for _, p := range projects {
			for _, role := range []string{"readers", "writers"} {
				groups = append(groups, fmt.Sprintf("%s-%s-%s", d, p, role))
			}
		}
	}
	return groups
}

// users is the provider's user store: the storage.UserStore of the
// example storage, for the users given.
type users struct {
	byID map[string]*storage.User
}

func newUsers(list ...User) *users {
	u := &users{byID: make(map[string]*storage.User)}
	for _, x := range list {
		u.byID[x.Subject] = &storage.User{
			ID:                x.Subject,
			Username:          x.Username,
			Password:          x.Password,
			FirstName:         x.Given,
			LastName:          x.Family,
			Email:             x.Email,
			EmailVerified:     true,
			PreferredLanguage: language.English,
		}
	}
	return u
}

func (u *users) GetUserByID(id string) *storage.User { return u.byID[id] }

func (u *users) GetUserByUsername(username string) *storage.User {
	for _, x := range u.byID {
		if x.Username == username {
			return x
		}
	}
	return nil
}

// ExampleClientID names the service account of the example storage, which
// this example does not use.
func (u *users) ExampleClientID() string { return storage.ServiceUserID }
