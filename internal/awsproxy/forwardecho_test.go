package awsproxy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestForwardEcho(t *testing.T) {
	both := `<DefaultActions><member><Type>forward</Type><TargetGroupArn>tg</TargetGroupArn><Order>1</Order>` +
		`<ForwardConfig><TargetGroups><member><TargetGroupArn>tg</TargetGroupArn><Weight>1</Weight></member></TargetGroups>` +
		`<TargetGroupStickinessConfig><Enabled>false</Enabled></TargetGroupStickinessConfig></ForwardConfig></member></DefaultActions>`
	tests := []struct{ name, in, want string }{
		{"ForwardConfig only", `<DefaultActions><member><Type>forward</Type><Order>1</Order>` +
			`<ForwardConfig><TargetGroups><member><TargetGroupArn>tg</TargetGroupArn><Weight>1</Weight></member></TargetGroups>` +
			`<TargetGroupStickinessConfig><Enabled>false</Enabled></TargetGroupStickinessConfig></ForwardConfig></member></DefaultActions>`,
			both},
		{"plain ARN only", `<DefaultActions><member><Type>forward</Type><TargetGroupArn>tg</TargetGroupArn></member></DefaultActions>`,
			`<DefaultActions><member><Type>forward</Type><TargetGroupArn>tg</TargetGroupArn><ForwardConfig><TargetGroups>` +
				`<member><TargetGroupArn>tg</TargetGroupArn><Weight>1</Weight></member></TargetGroups><TargetGroupStickinessConfig>` +
				`<Enabled>false</Enabled></TargetGroupStickinessConfig></ForwardConfig></member></DefaultActions>`},
		{"both already", both, both},
		{"two target groups", `<DefaultActions><member><Type>forward</Type><ForwardConfig><TargetGroups>` +
			`<member><TargetGroupArn>a</TargetGroupArn></member><member><TargetGroupArn>b</TargetGroupArn></member>` +
			`</TargetGroups></ForwardConfig></member></DefaultActions>`, ""},
		{"not a forward", `<DefaultActions><member><Type>fixed-response</Type></member></DefaultActions>`, ""},
	}
	for _, tt := range tests {
		want := tt.want
		if want == "" {
			want = tt.in
		}
		h := forwardEcho{}.Wrap(func(*Request) *Response { return &Response{Status: 200, Body: []byte(tt.in)} })
		if diff := cmp.Diff(want, string(h(elbCall("DescribeListeners")).Body)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
