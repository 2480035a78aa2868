package awsproxy

import (
	"bytes"
	"regexp"
)

// forwardEcho makes listener and rule answers show actions as AWS does:
// a forward to one target group in both forms at once (the TargetGroupArn
// and a ForwardConfig with that target group at weight 1 and stickiness
// off; moto echoes only the form it was sent), and a redirect with every
// part AWS fills in when it is not given (#{protocol}, #{port}, #{host},
// /#{path}, #{query}; moto echoes only what it was sent).
type forwardEcho struct{}

var (
	defaultActionsElem = regexp.MustCompile(`(?s)<DefaultActions>(.*?)</DefaultActions>`)
	ruleActionsElem    = regexp.MustCompile(`(?s)<Actions>(.*?)</Actions>`)
	forwardTypeElem    = regexp.MustCompile(`<Type>forward</Type>`)
	typeElem           = regexp.MustCompile(`<Type>`)
	targetGroupARNElem = regexp.MustCompile(`<TargetGroupArn>([^<]+)</TargetGroupArn>`)
)

// Wrap implements Middleware.
func (forwardEcho) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		resp := next(r)
		if r.Service != "elasticloadbalancing" || resp.Status != 200 {
			return resp
		}
		switch r.Action {
		case "CreateListener", "ModifyListener", "DescribeListeners":
			resp.Body = defaultActionsElem.ReplaceAllFunc(resp.Body, echoActions)
		case "CreateRule", "ModifyRule", "DescribeRules", "SetRulePriorities":
			resp.Body = ruleActionsElem.ReplaceAllFunc(resp.Body, echoActions)
		}
		return resp
	}
}

// echoActions rewrites each action of one list of actions as AWS echoes
// it.
func echoActions(list []byte) []byte {
	open := bytes.IndexByte(list, '>') + 1
	end := bytes.LastIndex(list, []byte("</"))
	if open <= 0 || end < open {
		return list
	}
	members := topLevelMembers(list[open:end])
	out := append([]byte(nil), list[:open]...)
	for _, m := range members {
		out = append(out, redirectDefaults(bothForwardForms(m))...)
	}
	return append(out, list[end:]...)
}

var redirectConfigElem = regexp.MustCompile(`(?s)<RedirectConfig>(.*?)</RedirectConfig>`)

// redirectParts are the parts of a redirect, in AWS's order, with the
// value AWS gives a part that is not set.
var redirectParts = []struct{ name, fill string }{
	{"Protocol", "#{protocol}"}, {"Port", "#{port}"}, {"Host", "#{host}"}, {"Path", "/#{path}"},
	{"Query", "#{query}"}, {"StatusCode", ""},
}

// redirectDefaults fills the parts of a redirect action that were not set.
func redirectDefaults(action []byte) []byte {
	return redirectConfigElem.ReplaceAllFunc(action, func(config []byte) []byte {
		inner := redirectConfigElem.FindSubmatch(config)[1]
		out := []byte("<RedirectConfig>")
		for _, part := range redirectParts {
			el := regexp.MustCompile(`<` + part.name + `>([^<]*)</` + part.name + `>`).FindSubmatch(inner)
			value := part.fill
			if el != nil {
				value = string(el[1])
			}
			if value != "" {
				out = append(out, "<"+part.name+">"+value+"</"+part.name+">"...)
			}
		}
		return append(out, "</RedirectConfig>"...)
	})
}

// bothForwardForms rewrites one action, or a list holding a single action,
// that forwards to a single target group.
func bothForwardForms(block []byte) []byte {
	if len(typeElem.FindAll(block, -1)) != 1 || !forwardTypeElem.Match(block) {
		return block
	}
	arns := targetGroupARNElem.FindAllSubmatch(block, -1)
	hasConfig := bytes.Contains(block, []byte("<ForwardConfig>"))
	switch {
	case hasConfig && len(arns) == 1: // the ForwardConfig's only: add the plain ARN
		arn := arns[0][0]
		return forwardTypeElem.ReplaceAllLiteral(block, append([]byte("<Type>forward</Type>"), arn...))
	case !hasConfig && len(arns) == 1: // the plain ARN only: add the ForwardConfig
		config := []byte("<ForwardConfig><TargetGroups><member>" + string(arns[0][0]) + "<Weight>1</Weight></member>" +
			"</TargetGroups><TargetGroupStickinessConfig><Enabled>false</Enabled></TargetGroupStickinessConfig></ForwardConfig>")
		end := bytes.LastIndex(block, []byte("</member>"))
		if end < 0 {
			return block
		}
		out := append([]byte(nil), block[:end]...)
		out = append(out, config...)
		return append(out, block[end:]...)
	}
	return block
}
