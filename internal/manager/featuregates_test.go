package manager

import (
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/service"
)

func TestFeatureGates(t *testing.T) {
	type result struct {
		Err        string // a part of the error, "" for none
		Set        string
		Service    service.Gates
		Unhonoured []string
		Invalid    string // a part of Validate's error
	}
	for _, tc := range []struct {
		name  string
		flags []string // each a use of --feature-gates
		want  result
	}{
		{"none: LBC's defaults", nil, result{}},
		{"the Service gates", []string{"EnableTCPUDPListener=true,EnableIPTargetType=false,NLBHealthCheckAdvancedConfig=false," +
			"NLBSecurityGroup=false,EnableDefaultTagsLowPriority=true"},
			result{Set: "EnableDefaultTagsLowPriority=true,EnableIPTargetType=false,EnableTCPUDPListener=true," +
				"NLBHealthCheckAdvancedConfig=false,NLBSecurityGroup=false",
				Service: service.Gates{TCPUDPListener: true, NoIPTargets: true, NoHealthCheckAdvancedConfig: true,
					NoNLBSecurityGroups: true, DefaultTagsLowPriority: true}}},
		{"capacity reservation off", []string{"LBCapacityReservation=false"},
			result{Set: "LBCapacityReservation=false", Service: service.Gates{NoCapacityReservation: true}}},
		{"defaults set explicitly", []string{"EnableTCPUDPListener=false,NLBSecurityGroup=true"},
			result{Set: "EnableTCPUDPListener=false,NLBSecurityGroup=true"}},
		{"spaces, Go booleans and empty items, as LBC", []string{" EnableTCPUDPListener = T ,,NLBSecurityGroup=0,"},
			result{Set: "EnableTCPUDPListener=true,NLBSecurityGroup=false",
				Service: service.Gates{TCPUDPListener: true, NoNLBSecurityGroups: true}}},
		{"repeated flags add up, the last use wins", []string{"EnableTCPUDPListener=true", "EnableIPTargetType=false",
			"EnableTCPUDPListener=false"},
			result{Set: "EnableIPTargetType=false,EnableTCPUDPListener=false", Service: service.Gates{NoIPTargets: true}}},
		{"gates for what kelb lacks are accepted and listed", []string{"EnableRGTAPI=true,ALBGatewayAPI=false,EnableTCPUDPListener=true"},
			result{Set: "ALBGatewayAPI=false,EnableRGTAPI=true,EnableTCPUDPListener=true",
				Service: service.Gates{TCPUDPListener: true}, Unhonoured: []string{"ALBGatewayAPI=false", "EnableRGTAPI=true"}}},
		{"unknown gate", []string{"EnableTCPUDPListener=true,NoSuchGate=true"}, result{Err: `unknown gate "NoSuchGate"; known: ALBGatewayAPI`}},
		{"names are case-sensitive", []string{"enabletcpudplistener=true"}, result{Err: `unknown gate "enabletcpudplistener"`}},
		{"no value", []string{"EnableTCPUDPListener"}, result{Err: `"EnableTCPUDPListener" is not name=true|false`}},
		{"not a boolean", []string{"EnableTCPUDPListener=yes"}, result{Err: "the value is not true or false"}},
		{"a blank item", []string{"EnableTCPUDPListener=true, "}, result{Err: `" " is not name=true|false`}},
		{"the Service controller cannot be turned off", []string{"EnableServiceController=false"},
			result{Set: "EnableServiceController=false", Invalid: "EnableServiceController=false is not supported"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("kelb", flag.ContinueOnError)
			fs.SetOutput(&strings.Builder{})
			var o Options
			o.BindFlags(fs)
			var args []string
			for _, f := range tc.flags {
				args = append(args, "--feature-gates="+f)
			}
			var got result
			if err := fs.Parse(args); err != nil {
				if tc.want.Err == "" || !strings.Contains(err.Error(), tc.want.Err) {
					t.Fatalf("error %v, want one with %q", err, tc.want.Err)
				}
				return
			}
			got.Set, got.Service, got.Unhonoured = o.FeatureGates.String(), o.FeatureGates.Service(), o.FeatureGates.Unhonoured()
			if err := o.FeatureGates.Validate(); err != nil {
				got.Invalid = tc.want.Invalid
				if !strings.Contains(err.Error(), tc.want.Invalid) || tc.want.Invalid == "" {
					got.Invalid = err.Error()
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultSchemeFlag(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  []string
	}{
		{"internal", nil},
		{"internet-facing", nil},
		{"Internet-Facing", []string{`--default-load-balancer-scheme: "Internet-Facing"; allowed: internal, internet-facing`}},
	} {
		t.Run(tc.value, func(t *testing.T) {
			o := validOptions()
			o.DefaultScheme = tc.value
			var got []string
			if err := o.Validate(); err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSubnetDiscoveryGates: LBC's two subnet gates reach discovery, on by
// default as in LBC, and are no longer listed as without effect.
func TestSubnetDiscoveryGates(t *testing.T) {
	type result struct {
		ClusterTagCheck, ByReachability bool
		Unhonoured                      []string
	}
	for _, tc := range []struct {
		flag string
		want result
	}{
		{"", result{ClusterTagCheck: true, ByReachability: true}},
		{"SubnetsClusterTagCheck=false", result{ByReachability: true}},
		{"SubnetDiscoveryByReachability=false", result{ClusterTagCheck: true}},
		{"SubnetsClusterTagCheck=false,SubnetDiscoveryByReachability=false,EnableRGTAPI=true",
			result{Unhonoured: []string{"EnableRGTAPI=true"}}},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			var g FeatureGates
			if err := g.Set(tc.flag); err != nil {
				t.Fatal(err)
			}
			var got result
			got.ClusterTagCheck, got.ByReachability = g.SubnetDiscovery()
			got.Unhonoured = g.Unhonoured()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
