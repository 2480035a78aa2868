package awsproxy

import (
	"fmt"
	"html"
	"net/http"
)

// errorResponse renders an AWS error in the wire format of the request's
// protocol, so that the SDK classifies it exactly as it would a real one.
func errorResponse(r *Request, status int, code, message string) *Response {
	msg := html.EscapeString(message)
	switch {
	case r.Header.Get("X-Amz-Target") != "": // JSON protocols
		return &Response{
			Status: status,
			Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amzn-Errortype": {code}},
			Body:   fmt.Appendf(nil, `{"__type":%q,"message":%q}`, code, message),
		}
	case r.Service == "ec2":
		return &Response{
			Status: status,
			Header: http.Header{"Content-Type": {"text/xml"}},
			Body: fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>kelb-proxy</RequestID></Response>`, code, msg),
		}
	default: // query protocols: elasticloadbalancing, sts, ...
		kind := "Sender"
		if status >= 500 {
			kind = "Receiver"
		}
		return &Response{
			Status: status,
			Header: http.Header{"Content-Type": {"text/xml"}},
			Body: fmt.Appendf(nil, `<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>kelb-proxy</RequestId></ErrorResponse>`,
				kind, code, msg),
		}
	}
}
