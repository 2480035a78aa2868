package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteJSON writes the plan as indented JSON (schema Schema).
func WriteJSON(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// opSigns mark each action's kind in the text output, as diff tools do.
var opSigns = map[string]string{
	"create": "+", "authorize": "+", "register": "+", "associate": "+", "tag": "~",
	"modify": "~", "untag": "~",
	"delete": "-", "revoke": "-", "deregister": "-", "disassociate": "-",
}

// WriteText writes the plan for a person: a header, then each object with
// its actions, a line each, with what and why below.
func WriteText(w io.Writer, p *Plan) error {
	var b strings.Builder
	actions, errs := p.Counts()
	fmt.Fprintf(&b, "kelb plan: cluster %s, VPC %s, region %s; objects from the %s\n", p.Cluster, p.VPC, p.Region,
		p.Source)
	switch {
	case p.Empty():
		b.WriteString("No changes: AWS matches what kelb would build.\n")
	default:
		fmt.Fprintf(&b, "%d action(s), %d object(s) with errors; nothing was changed.\n", actions, errs)
	}
	for _, o := range p.Objects {
		b.WriteString("\n")
		name := o.Name
		if o.Namespace != "" {
			name = o.Namespace + "/" + o.Name
		}
		fmt.Fprintf(&b, "%s %s", o.Kind, name)
		if len(o.Stacks) > 0 {
			fmt.Fprintf(&b, " (stack %s)", strings.Join(o.Stacks, ", "))
		}
		switch {
		case o.Error != "":
			fmt.Fprintf(&b, ": error, nothing changes for it: %s\n", o.Error)
		case o.Skipped != "":
			fmt.Fprintf(&b, ": skipped: %s\n", o.Skipped)
		case len(o.Actions) == 0:
			b.WriteString(": no changes\n")
		default:
			b.WriteString("\n")
		}
		for _, a := range o.Actions {
			sign := opSigns[a.Op]
			if sign == "" {
				sign = "?"
			}
			fmt.Fprintf(&b, "  %s %-10s %-21s %s  [%s]\n", sign, a.Op, a.Resource, a.Name, a.Operation)
			if a.Detail != "" {
				fmt.Fprintf(&b, "      %s\n", a.Detail)
			}
			if a.Why != "" {
				fmt.Fprintf(&b, "      why: %s\n", a.Why)
			}
		}
		for _, n := range o.Notes {
			fmt.Fprintf(&b, "  note: %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
