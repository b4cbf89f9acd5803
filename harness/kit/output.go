package kit

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

// Output formats: every command that prints results takes -o table|json.
const (
	OutputTable = "table"
	OutputJSON  = "json"
)

// OutputHelp is the help of every -o.
const OutputHelp = "what to print: table (the summary, for people) or json (the document, for programs)"

// RegisterOutput registers -o/--output on fl into *o (default table), and
// the older --json, hidden, as another spelling of -o json (scripts that
// pass it keep working).
func RegisterOutput(fl *pflag.FlagSet, o *string, help string) {
	if help == "" {
		help = OutputHelp
	}
	fl.StringVarP(o, "output", "o", OutputTable, help)
	fl.Var(jsonAlias{o}, "json", "same as -o json")
	fl.Lookup("json").NoOptDefVal = "true"
	_ = fl.MarkHidden("json")
}

// ValidOutput checks an -o flag.
func ValidOutput(o string) error {
	if o == OutputTable || o == OutputJSON {
		return nil
	}
	return Usage(fmt.Errorf("-o %q: use table or json", o))
}

// PrintOutput prints doc as indented JSON when output is json, else what
// table writes.
func PrintOutput(w io.Writer, output string, doc any, table func(io.Writer) error) error {
	if output != OutputJSON {
		return table(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// jsonAlias is --json: setting it to true sets the output to json.
type jsonAlias struct{ o *string }

func (j jsonAlias) String() string {
	if j.o != nil && *j.o == OutputJSON {
		return "true"
	}
	return "false"
}

func (j jsonAlias) Set(s string) error {
	switch s {
	case "true":
		*j.o = OutputJSON
	case "false":
	default:
		return fmt.Errorf("--json takes no value")
	}
	return nil
}

func (jsonAlias) Type() string { return "bool" }
