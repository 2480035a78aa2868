package manager

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kelb-dev/kelb/internal/service"
)

// gate is one of LBC's feature gates: its default, and what kelb does with
// it.
type gate struct {
	def bool
	// honoured: kelb behaves as the gate says. Otherwise the gate concerns
	// something kelb does not do (yet) or always does one way; it is
	// accepted so that LBC's flags start kelb, and Unhonoured lists it.
	honoured bool
	// refuseOff: kelb cannot work with the gate off and stops at start-up
	// rather than do what the operator turned off.
	refuseOff bool
}

// lbcGates are LBC's feature gates (v3.5) with LBC's defaults.
var lbcGates = map[string]gate{
	"ListenerRulesTagging":          {def: true},
	"WeightedTargetGroups":          {def: true},
	"ServiceTypeLoadBalancerOnly":   {def: false}, // kelb serves only type LoadBalancer, as with true
	"EndpointsFailOpen":             {def: true},  // kelb registers endpoints of unknown readiness, as with true
	"EnableServiceController":       {def: true, honoured: true, refuseOff: true},
	"EnableIPTargetType":            {def: true, honoured: true},
	"EnableRGTAPI":                  {def: false},
	"SubnetsClusterTagCheck":        {def: true, honoured: true},
	"NLBHealthCheckAdvancedConfig":  {def: true, honoured: true},
	"NLBSecurityGroup":              {def: true, honoured: true},
	"ALBSingleSubnet":               {def: false},
	"SubnetDiscoveryByReachability": {def: true, honoured: true},
	"LBCapacityReservation":         {def: true, honoured: true},
	"NLBGatewayAPI":                 {def: true},
	"ALBGatewayAPI":                 {def: true},
	"GlobalAcceleratorController":   {def: false},
	"EnableTCPUDPListener":          {def: false, honoured: true},
	"EnhancedDefaultBehavior":       {def: false},
	"EnableDefaultTagsLowPriority":  {def: false, honoured: true},
	"ALBTargetControlAgent":         {def: false},
	"EnableCertificateManagement":   {def: false},
}

// FeatureGates is --feature-gates: "Gate1=true,Gate2=false" with LBC's gate
// names, parsed as LBC parses it (names and values trimmed, values as Go
// reads booleans, empty items skipped; each use of the flag adds to the
// ones before). An unknown name or a malformed item is an error, so kelb
// does not start with a setting it would ignore by mistake.
type FeatureGates struct {
	set map[string]bool
}

// String returns the gates set explicitly, sorted.
func (g *FeatureGates) String() string {
	if g == nil {
		return ""
	}
	names := make([]string, 0, len(g.set))
	for n := range g.set {
		names = append(names, n)
	}
	sort.Strings(names)
	items := make([]string, 0, len(names))
	for _, n := range names {
		items = append(items, n+"="+strconv.FormatBool(g.set[n]))
	}
	return strings.Join(items, ",")
}

// Set parses one use of the flag; nothing is applied if any item is wrong.
func (g *FeatureGates) Set(value string) error {
	parsed := map[string]bool{}
	for _, item := range strings.Split(value, ",") {
		if item == "" {
			continue
		}
		name, raw, ok := strings.Cut(item, "=")
		if !ok {
			return fmt.Errorf("--feature-gates: %q is not name=true|false", item)
		}
		name = strings.TrimSpace(name)
		on, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("--feature-gates: %q: the value is not true or false", item)
		}
		if _, known := lbcGates[name]; !known {
			return fmt.Errorf("--feature-gates: unknown gate %q; known: %s", name, strings.Join(knownGates(), ", "))
		}
		parsed[name] = on
	}
	if g.set == nil {
		g.set = map[string]bool{}
	}
	for n, on := range parsed {
		g.set[n] = on
	}
	return nil
}

// Enabled reports whether a gate is on: as set, else LBC's default.
func (g *FeatureGates) Enabled(name string) bool {
	if on, ok := g.set[name]; ok {
		return on
	}
	return lbcGates[name].def
}

// Validate refuses gates turned off that kelb cannot do without.
func (g *FeatureGates) Validate() error {
	for _, n := range knownGates() {
		if lbcGates[n].refuseOff && !g.Enabled(n) {
			return fmt.Errorf("--feature-gates: %s=false is not supported: kelb always serves what it covers", n)
		}
	}
	return nil
}

// Unhonoured returns the gates set explicitly that kelb accepts but does
// not act on, to be logged at start-up.
func (g *FeatureGates) Unhonoured() []string {
	var out []string
	for _, n := range knownGates() {
		if on, ok := g.set[n]; ok && !lbcGates[n].honoured {
			out = append(out, n+"="+strconv.FormatBool(on))
		}
	}
	return out
}

// Service returns the gates that change what a Service builds.
func (g *FeatureGates) Service() service.Gates {
	return service.Gates{
		TCPUDPListener:              g.Enabled("EnableTCPUDPListener"),
		NoIPTargets:                 !g.Enabled("EnableIPTargetType"),
		NoHealthCheckAdvancedConfig: !g.Enabled("NLBHealthCheckAdvancedConfig"),
		NoNLBSecurityGroups:         !g.Enabled("NLBSecurityGroup"),
		DefaultTagsLowPriority:      g.Enabled("EnableDefaultTagsLowPriority"),
		NoCapacityReservation:       !g.Enabled("LBCapacityReservation"),
	}
}

// SubnetDiscovery returns the gates of LBC's subnet discovery: with
// SubnetsClusterTagCheck off, subnets tagged for other clusters are
// candidates too; with SubnetDiscoveryByReachability off, only subnets
// role-tagged for the scheme are (no fallback to route tables).
func (g *FeatureGates) SubnetDiscovery() (clusterTagCheck, byReachability bool) {
	return g.Enabled("SubnetsClusterTagCheck"), g.Enabled("SubnetDiscoveryByReachability")
}

func knownGates() []string {
	out := make([]string, 0, len(lbcGates))
	for n := range lbcGates {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
