package results

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLabelLen is the longest label, in characters: room for a full name or
// a group's, short enough for a table column.
const MaxLabelLen = 64

// ValidateLabel checks a run's label (run --label): at most MaxLabelLen
// characters of valid UTF-8, no control characters (a newline or an
// escape sequence would break the tables and the terminal) and no
// invisible formatting characters (a right-to-left override or a
// zero-width space would make one name display as another on the class
// page), and no spaces around it. The empty label is valid: none given.
func ValidateLabel(label string) error {
	if label == "" {
		return nil
	}
	if !utf8.ValidString(label) {
		return fmt.Errorf("label %q is not valid UTF-8", label)
	}
	if n := utf8.RuneCountInString(label); n > MaxLabelLen {
		return fmt.Errorf("label is %d characters long: use at most %d (a name or a group's)", n, MaxLabelLen)
	}
	for i, r := range []rune(label) {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("label %q: character %d is %U, a control or invisible character: use letters, digits, spaces and punctuation", label, i+1, r)
		}
	}
	if strings.TrimSpace(label) != label {
		return fmt.Errorf("label %q: remove the spaces around it", label)
	}
	return nil
}
