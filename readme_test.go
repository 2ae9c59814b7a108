package cookiesession

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMECodeCompiles checks that every Go block in README.md appears,
// verbatim, in a Go file under examples/, whose module's tests compile it.
func TestREADMECodeCompiles(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go code blocks")
	}
	var sources []string
	err = filepath.WalkDir("examples", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
			b, err := os.ReadFile(path)
			sources = append(sources, string(b))
			return err
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		found := false
		for _, src := range sources {
			found = found || strings.Contains(src, b[1])
		}
		if !found {
			first, _, _ := strings.Cut(strings.TrimSpace(b[1]), "\n")
			t.Errorf("README block starting %q is in no Go file under examples/", first)
		}
	}
}
