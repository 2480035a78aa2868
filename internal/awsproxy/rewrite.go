package awsproxy

import (
	"bytes"
	"regexp"
)

// rewriteStates rewrites an XML answer listing items, each of which names
// its id (idElement, whose first group is the id) before its state
// (stateElement). replacement returns the new text for an item's state
// element, or "" to keep it.
func rewriteStates(body []byte, idElement, stateElement *regexp.Regexp, replacement func(id string) string) []byte {
	ids := idElement.FindAllSubmatchIndex(body, -1)
	var out bytes.Buffer
	last := 0
	for i, a := range ids {
		end := len(body)
		if i+1 < len(ids) {
			end = ids[i+1][0]
		}
		text := replacement(string(body[a[2]:a[3]]))
		if text == "" {
			continue
		}
		if s := stateElement.FindIndex(body[a[1]:end]); s != nil {
			out.Write(body[last : a[1]+s[0]])
			out.WriteString(text)
			last = a[1] + s[1]
		}
	}
	out.Write(body[last:])
	return out.Bytes()
}
