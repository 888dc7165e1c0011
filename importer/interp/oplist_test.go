package interp

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README lists the supported ops; the op table is the single source, so
// the list must be exactly SupportedOps. On a mismatch the message gives the
// line to paste.
func TestREADMEOpList(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Skipf("README.md not found: %v", err)
	}
	const begin, end = "<!-- ops:begin -->\n", "\n<!-- ops:end -->"
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", strings.TrimSpace(begin), strings.TrimSpace(end))
	}
	got := s[i+len(begin) : j]
	want := readmeOpList()
	if got != want {
		t.Errorf("README.md op list is out of date; between the markers it must read:\n%s", want)
	}
}

// readmeOpList formats SupportedOps as the README shows them.
func readmeOpList() string {
	ops := SupportedOps()
	return fmt.Sprintf("%s (%d ops)", strings.Join(ops, ", "), len(ops))
}
