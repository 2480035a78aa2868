package deploy

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

// reservations holds capacity reservations and records the calls.
type reservations struct {
	ELBV2 // calls the tests do not expect panic

	units int32
	calls []string
}

func (f *reservations) DescribeCapacityReservation(context.Context, *elbv2.DescribeCapacityReservationInput,
	...func(*elbv2.Options)) (*elbv2.DescribeCapacityReservationOutput, error) {
	f.calls = append(f.calls, "describe")
	out := &elbv2.DescribeCapacityReservationOutput{}
	if f.units > 0 {
		out.MinimumLoadBalancerCapacity = &elbtypes.MinimumLoadBalancerCapacity{CapacityUnits: aws.Int32(f.units)}
	}
	return out, nil
}

func (f *reservations) ModifyCapacityReservation(_ context.Context, in *elbv2.ModifyCapacityReservationInput,
	_ ...func(*elbv2.Options)) (*elbv2.ModifyCapacityReservationOutput, error) {
	if aws.ToBool(in.ResetCapacityReservation) {
		f.calls, f.units = append(f.calls, "reset"), 0
	} else {
		f.units = aws.ToInt32(in.MinimumLoadBalancerCapacity.CapacityUnits)
		f.calls = append(f.calls, fmt.Sprintf("modify %d", f.units))
	}
	return &elbv2.ModifyCapacityReservationOutput{}, nil
}

func TestEnsureCapacityReservation(t *testing.T) {
	tests := []struct {
		name  string
		have  int32
		known bool
		want  *int32
		calls []string
	}{
		{"not asked: not even read", 1000, false, nil, nil},
		{"reserve", 0, false, ptr.To[int32](1500), []string{"describe", "modify 1500"}},
		{"already reserved", 1500, false, ptr.To[int32](1500), []string{"describe"}},
		{"known from kelb's write: no read", 1500, true, ptr.To[int32](1500), nil},
		{"change", 1500, false, ptr.To[int32](3000), []string{"describe", "modify 3000"}},
		{"zero resets", 1500, false, ptr.To[int32](0), []string{"describe", "reset"}},
		{"zero with none: nothing", 0, false, ptr.To[int32](0), []string{"describe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &reservations{units: tt.have}
			d := New(Deps{Config: Config{ClusterName: "prod"}, ELBV2: f})
			lb := &LoadBalancerState{ARN: "arn:lb", Name: "lb", CapacityUnits: tt.have, CapacityKnown: tt.known}
			if err := d.ensureCapacityReservation(context.Background(), lb, tt.want); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.calls, f.calls); d != "" {
				t.Errorf("calls (-want +got)\n%s", d)
			}
			if tt.want != nil && (lb.CapacityUnits != *tt.want || f.units != *tt.want) {
				t.Errorf("kelb knows %d units, AWS holds %d; want %d", lb.CapacityUnits, f.units, *tt.want)
			}
		})
	}
}
