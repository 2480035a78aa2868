package awsproxy

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFilterLimitRefusesMoreThan200Values(t *testing.T) {
	refused := &Response{Status: http.StatusBadRequest, Header: http.Header{"Content-Type": {"text/xml"}},
		Body: []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>FilterLimitExceeded</Code><Message>The maximum number of filter values specified on a single call is 200</Message></Error></Errors><RequestID>kelb-proxy</RequestID></Response>`)}
	passed := &Response{Status: http.StatusOK}
	params := func(action string, values ...int) url.Values {
		v := url.Values{"Action": {action}}
		for f, n := range values {
			v.Set(fmt.Sprintf("Filter.%d.Name", f+1), "instance-id")
			for i := 1; i <= n; i++ {
				v.Set(fmt.Sprintf("Filter.%d.Value.%d", f+1, i), fmt.Sprintf("i-%d", i))
			}
		}
		return v
	}
	for _, tc := range []struct {
		name    string
		service string
		params  url.Values
		want    *Response
	}{
		{"200 values", "ec2", params("DescribeInstances", 200), passed},
		{"201 values", "ec2", params("DescribeInstances", 201), refused},
		{"201 values in the second filter", "ec2", params("DescribeInstances", 1, 201), refused},
		{"two filters of 200", "ec2", params("DescribeInstances", 200, 200), passed},
		{"other actions pass", "ec2", params("DescribeSubnets", 201), passed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := filterLimit{}.Wrap(func(*Request) *Response { return passed })
			got := h(&Request{Service: tc.service, Action: tc.params.Get("Action"), Params: tc.params, Header: http.Header{}})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}
