package main

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestScan(t *testing.T) {
	const v = "AYwDyFfMd_c17wFJlJmxvjt_RV9YtcyT0Q8cas5UTkXItmEEyWopgqh7ZWKy"
	cookie := func(v string) found { return found{from: fromCookie, value: v} }
	tests := []struct {
		name, header, input string
		want                []found
	}{
		{"bare value", "", v, []found{{from: fromValue, value: v}}},
		{"padded bare value", "", v + "==", []found{{from: fromValue, value: v + "=="}}},
		{"spaces and CRLF", "", " \r\n\t" + v + " \r\n", []found{{from: fromValue, value: v}}},
		{"name=value", "", "__Host-session=" + v, []found{cookie(v)}},
		{"document.cookie", "", "theme=dark; __Host-session=" + v, []found{cookie(v)}},
		{"quoted", "", `__Host-session="` + v + `"`, []found{cookie(v)}},
		{"Cookie header", "", "Cookie: a=b; __Host-session=" + v + "; c=d", []found{cookie(v)}},
		{"lower-case cookie header", "", "cookie:__Host-session=" + v, []found{cookie(v)}},
		{"two cookies of the name", "", "Cookie: __Host-session=" + v + "; __Host-session=x" + v,
			[]found{cookie(v), cookie("x" + v)}},
		{"curl -v request line", "", "> Cookie: __Host-session=" + v, []found{cookie(v)}},
		{"Set-Cookie", "", "Set-Cookie: __Host-session=" + v + "; Path=/; Max-Age=86400; HttpOnly; Secure; SameSite=Lax",
			[]found{{from: fromSetCookie, value: v}}},
		{"Set-Cookie deleting", "", "Set-Cookie: __Host-session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax",
			[]found{{from: fromSetCookie, deletes: true}}},
		{"Set-Cookie expired", "", "set-cookie: __Host-session=" + v + "; Expires=Thu, 01 Jan 1970 00:00:01 GMT",
			[]found{{from: fromSetCookie, value: v, deletes: true}}},
		{"Set-Cookie expiring later", "", "Set-Cookie: __Host-session=" + v + "; Expires=Thu, 01 Jan 2099 00:00:01 GMT",
			[]found{{from: fromSetCookie, value: v}}},
		{"token header", "", "Session-Token: " + v, []found{{from: fromToken, header: "Session-Token", value: v}}},
		{"empty token header", "", "Session-Token:", []found{{from: fromToken, header: "Session-Token", deletes: true}}},
		{"curl -i response", "",
			"HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nSet-Cookie: __Host-session=" + v + "; Path=/\r\nVary: Cookie\r\nContent-Length: 10\r\n\r\nvisits: 1\r\n",
			[]found{{from: fromSetCookie, value: v}}},
		{"response with a token", "Session-Token",
			"HTTP/2 200\ncache-control: no-store\nsession-token: " + v + "\nvary: Cookie, Session-Token\n",
			[]found{{from: fromToken, header: "session-token", value: v}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &scanner{name: "__Host-session", header: tc.header, now: time.Now()}
			got, err := s.scan(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestScanFindsNothing(t *testing.T) {
	tests := []struct {
		name, header, input, wantErr string
	}{
		{"empty", "", " \r\n", "no cookie given"},
		{"other cookies", "", "Cookie: a=b; session=c", "no cookie named __Host-session in the input, which has a, session; choose one with -name"},
		{"other name=value", "", "session=abc", "no cookie named __Host-session in the input, which has session; choose one with -name"},
		{"response without it", "Session-Token", "HTTP/1.1 200 OK\nSet-Cookie: theme=dark\nX-Token: abc\n",
			"no cookie named __Host-session in the input, which has theme; choose one with -name, and no Session-Token header"},
		{"bad Set-Cookie", "", "Set-Cookie: =abc", "reading the Set-Cookie line: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &scanner{name: "__Host-session", header: tc.header, now: time.Now()}
			got, err := s.scan(tc.input)
			if err == nil {
				t.Fatalf("got %+v, want an error", got)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %q, want %q", err, tc.wantErr)
			}
		})
	}
}
