package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

func TestMinimumCapacity(t *testing.T) {
	type got struct {
		Units *int32
		Error outcome
	}
	refused := func(v string) got {
		return got{Error: outcome{Error: "annotation", Annotation: AnnMinimumCapacity, Value: v}}
	}
	tests := []struct {
		name  string
		ann   []string
		gates Gates
		want  got
	}{
		{"not set: left as AWS has it", nil, Gates{}, got{}},
		{"reserve", []string{AnnMinimumCapacity, "CapacityUnits=1500"}, Gates{}, got{Units: ptr.To[int32](1500)}},
		{"zero resets", []string{AnnMinimumCapacity, "CapacityUnits=0"}, Gates{}, got{Units: ptr.To[int32](0)}},
		{"gate off: ignored", []string{AnnMinimumCapacity, "CapacityUnits=1500"}, Gates{NoCapacityReservation: true}, got{}},
		{"gate off: even a bad value", []string{AnnMinimumCapacity, "x"}, Gates{NoCapacityReservation: true}, got{}},
		{"another key", []string{AnnMinimumCapacity, "Units=5"}, Gates{}, refused("Units=5")},
		{"key in another case", []string{AnnMinimumCapacity, "capacityunits=5"}, Gates{}, refused("capacityunits=5")},
		{"two keys", []string{AnnMinimumCapacity, "CapacityUnits=5,Other=1"}, Gates{}, refused("CapacityUnits=5,Other=1")},
		{"not a number (LBC would reset)", []string{AnnMinimumCapacity, "CapacityUnits=many"}, Gates{},
			refused("CapacityUnits=many")},
		{"negative", []string{AnnMinimumCapacity, "CapacityUnits=-1"}, Gates{}, refused("CapacityUnits=-1")},
		{"empty", []string{AnnMinimumCapacity, ""}, Gates{}, refused("")},
		{"spaces kept as written, as LBC", []string{AnnMinimumCapacity, "CapacityUnits = 5"}, Gates{},
			refused("CapacityUnits = 5")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig
			cfg.Gates = tt.gates
			stack, err := Build(cfg, testInput(ann(tt.ann...)))
			var g got
			if err != nil {
				g.Error = outcomeOf(err)
			} else {
				g.Units = stack.LoadBalancer.MinimumCapacity
			}
			if d := cmp.Diff(tt.want, g); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}
