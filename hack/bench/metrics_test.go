package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMetrics(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []sample
	}{
		{"plain", "# HELP go_memstats_heap_inuse_bytes x\n# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes 1.2345e+07\n",
			[]sample{{name: "go_memstats_heap_inuse_bytes", labels: map[string]string{}, value: 1.2345e+07}}},
		{"labels, a comma inside quotes and a timestamp",
			`apiserver_longrunning_requests{group="",resource="pods",scope="cluster",verb="WATCH",note="a,b"} 2 1700000000` + "\n",
			[]sample{{name: "apiserver_longrunning_requests", value: 2, labels: map[string]string{"group": "",
				"resource": "pods", "scope": "cluster", "verb": "WATCH", "note": "a,b"}}}},
		{"unreadable lines left out", "broken\nx{a=\"1\" 3\ny notanumber\nz 4\n",
			[]sample{{name: "z", labels: map[string]string{}, value: 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseMetrics(strings.NewReader(tt.text))
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(sample{})); diff != "" {
				t.Errorf("parseMetrics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMemGroups(t *testing.T) {
	count := map[memGroupKind]int{}
	for _, g := range memGroups(5000, 100) {
		count[g]++
	}
	want := map[memGroupKind]int{memIPService: 40, memInstanceService: 5, memBinding: 5}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("groups of 5,000 pods by 100 (-want +got):\n%s", diff)
	}
}
