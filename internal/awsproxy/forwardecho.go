package awsproxy

import (
	"bytes"
	"regexp"
)

// forwardEcho makes listener answers show a forward to one target group as
// AWS does, in both forms at once: the TargetGroupArn and a ForwardConfig
// with that target group at weight 1 and stickiness off. moto echoes only
// the form it was sent. Listeners with several actions are left as they
// are.
type forwardEcho struct{}

var (
	defaultActionsElem = regexp.MustCompile(`(?s)<DefaultActions>(.*?)</DefaultActions>`)
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
			resp.Body = defaultActionsElem.ReplaceAllFunc(resp.Body, bothForwardForms)
		}
		return resp
	}
}

// bothForwardForms rewrites one DefaultActions element holding a single
// forward to a single target group.
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
