package manager

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// validOptions are the flags' defaults with a cluster name.
func validOptions() Options {
	return Options{ClusterName: "prod-eu", DefaultTargetType: "instance", OrphanSweep: "delete",
		OrphanSweepInterval: 5 * time.Minute, OrphanGracePeriod: 10 * time.Minute, DeletionPolicy: "delete",
		DriftPeriod: DefaultDriftPeriod, EnableBackendSG: true}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Options)
		want   []string
	}{
		{"defaults", func(*Options) {}, nil},
		{"every allowed character", func(o *Options) { o.ClusterName = "Prod_1.eu:west/2=a+b-c@d é 群" }, nil},
		{"no grace period", func(o *Options) { o.OrphanGracePeriod = 0 }, nil},
		{"Ingress left to another controller", func(o *Options) { o.EnableIngress = false }, nil},
		{"sweep off still needs an interval", func(o *Options) { o.OrphanSweep, o.OrphanSweepInterval = "off", 0 },
			[]string{"--orphan-sweep-interval: 0s; must be more than 0"}},
		{"no interval", func(o *Options) { o.OrphanSweepInterval = 0 },
			[]string{"--orphan-sweep-interval: 0s; must be more than 0"}},
		{"negative interval and grace", func(o *Options) { o.OrphanSweepInterval, o.OrphanGracePeriod = -time.Second, -time.Minute },
			[]string{"--orphan-sweep-interval: -1s; must be more than 0", "--orphan-grace-period: -1m0s; must not be negative"}},
		{"missing cluster name", func(o *Options) { o.ClusterName = "" }, []string{"--cluster-name is required"}},
		{"star", func(o *Options) { o.ClusterName = "prod*" },
			[]string{`--cluster-name: "prod*" contains * or ?, which AWS tag filters read as wildcards matching other clusters' names`}},
		{"question mark", func(o *Options) { o.ClusterName = "pr?d" },
			[]string{`--cluster-name: "pr?d" contains * or ?, which AWS tag filters read as wildcards matching other clusters' names`}},
		{"comma", func(o *Options) { o.ClusterName = "a,b" },
			[]string{`--cluster-name: "a,b" is not a valid AWS tag value: at most 256 letters, digits, spaces and _ . : / = + - @`}},
		{"too long", func(o *Options) { o.ClusterName = strings.Repeat("a", 257) },
			[]string{`--cluster-name: "` + strings.Repeat("a", 257) + `" is not a valid AWS tag value: at most 256 letters, digits, spaces and _ . : / = + - @`}},
		{"longest", func(o *Options) { o.ClusterName = strings.Repeat("群", 256) }, nil},
		{"trailing space", func(o *Options) { o.ClusterName = "prod " }, []string{`--cluster-name: "prod " starts or ends with a space`}},
		{"reserved prefix", func(o *Options) { o.ClusterName = "AWS:prod" }, []string{`--cluster-name: "AWS:prod" starts with aws:, which AWS reserves`}},
		{"endpoints in LBC's form", func(o *Options) {
			o.AWSAPIEndpoints = "EC2=https://ec2.example,Elastic Load Balancing v2=https://elb.example"
		}, nil},
		{"endpoints in an older form", func(o *Options) { o.AWSAPIEndpoints = "elasticloadbalancing=https://elb.example" },
			[]string{`--aws-api-endpoints: unknown service id "elasticloadbalancing" (use "Elastic Load Balancing v2"); ` +
				"allowed: ACM, EC2, Elastic Load Balancing v2, Global Accelerator, IAM, Resource Groups Tagging API, STS, " +
				"Shield, WAF Regional, WAFV2"}},
		{"VPC tags with the key", func(o *Options) { o.AWSVPCTags, o.AWSVPCTagKey = map[string]string{"Name": "main"}, "Name" }, nil},
		{"VPC tags without the key", func(o *Options) { o.AWSVPCTags, o.AWSVPCTagKey = map[string]string{"env": "prod"}, "Name" },
			[]string{`--aws-vpc-tags: no key "Name", the key --aws-vpc-tag-key names`}},
		{"VPC tags unused beside a VPC id", func(o *Options) {
			o.AWSVPCTags, o.AWSVPCTagKey, o.AWSVPCID = map[string]string{"env": "prod"}, "Name", "vpc-1"
		}, nil},
		{"a tracking key in --default-tags, as LBC", func(o *Options) { o.DefaultTags = "team=a,ingress.k8s.aws/stack=x" },
			[]string{"--default-tags: tag key ingress.k8s.aws/stack cannot be specified in default-tags flag"}},
		{"every problem at once", func(o *Options) { o.ClusterName, o.OrphanSweepInterval, o.OrphanSweep = "x*", 0, "never" },
			[]string{`--cluster-name: "x*" contains * or ?, which AWS tag filters read as wildcards matching other clusters' names`,
				`--orphan-sweep: "never"; allowed: delete, report, off`, "--orphan-sweep-interval: 0s; must be more than 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := validOptions()
			tc.change(&o)
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
