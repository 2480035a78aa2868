package ingress

import (
	"encoding/json"
	"fmt"

	"github.com/kelb-dev/kelb/internal/model"
)

// AWS's limit on a rewrite's regex and replacement (RewriteConfig).
const maxRewriteLength = 1024

// transformConfig is one entry of LBC's transforms.<name> annotation.
type transformConfig struct {
	Type                    string         `json:"type"`
	HostHeaderRewriteConfig *rewriteConfig `json:"hostHeaderRewriteConfig"`
	URLRewriteConfig        *rewriteConfig `json:"urlRewriteConfig"`
}

type rewriteConfig struct {
	Rewrites []rewrite `json:"rewrites"`
}

type rewrite struct {
	Regex   string `json:"regex"`
	Replace string `json:"replace"`
}

// ruleTransforms are the transforms of the rules of a path whose backend
// is serviceName (a Service, or the action of a use-annotation backend),
// from the Ingress's transforms.<serviceName> annotation, as LBC keys them;
// none when it is not set. Everything AWS would refuse is refused here,
// before any call: an unknown type, a type without its config (LBC refuses
// these too), two transforms of one type, a config without rewrites, a
// regex AWS would refuse (regexError), a replacement too long.
func ruleTransforms(m member, serviceName string) ([]model.RuleTransform, error) {
	key := AnnTransformsPrefix + serviceName
	raw, ok := m.ing.Annotations[key]
	if !ok {
		return nil, nil
	}
	var cfgs []transformConfig
	if err := json.Unmarshal([]byte(raw), &cfgs); err != nil {
		return nil, &AnnotationError{Annotation: key, Value: raw,
			Allowed: `a JSON list of transforms such as [{"type": "url-rewrite", "urlRewriteConfig": ` +
				`{"rewrites": [{"regex": "^/api/(.+)$", "replace": "/$1"}]}}]`}
	}
	var out []model.RuleTransform
	seen := map[string]bool{}
	for i, c := range cfgs {
		at := fmt.Sprintf("[%d]", i)
		var cfg *rewriteConfig
		var cfgField string
		switch c.Type {
		case model.TransformHostHeaderRewrite:
			cfg, cfgField = c.HostHeaderRewriteConfig, "hostHeaderRewriteConfig"
		case model.TransformURLRewrite:
			cfg, cfgField = c.URLRewriteConfig, "urlRewriteConfig"
		default:
			return nil, configError(key, at+".type", c.Type, "host-header-rewrite, url-rewrite")
		}
		if seen[c.Type] {
			return nil, configError(key, at+".type", c.Type,
				"one transform of each type per rule (AWS takes one host-header-rewrite and one url-rewrite)")
		}
		seen[c.Type] = true
		if cfg == nil {
			return nil, configError(key, at+"."+cfgField, "", "a "+cfgField+" object for type "+c.Type)
		}
		if len(cfg.Rewrites) == 0 {
			return nil, configError(key, at+"."+cfgField+".rewrites", "",
				`one or more {"regex": ..., "replace": ...}`)
		}
		t := model.RuleTransform{Type: c.Type}
		for j, rw := range cfg.Rewrites {
			rat := fmt.Sprintf("%s.%s.rewrites[%d]", at, cfgField, j)
			if msg := regexError(rw.Regex, maxRewriteLength); msg != "" {
				return nil, configError(key, rat+".regex", rw.Regex, msg)
			}
			if len(rw.Replace) > maxRewriteLength {
				return nil, configError(key, rat+".replace", rw.Replace,
					fmt.Sprintf("a replacement of at most %d characters ($1 names the regex's first group)",
						maxRewriteLength))
			}
			t.Rewrites = append(t.Rewrites, model.Rewrite{Regex: rw.Regex, Replace: rw.Replace})
		}
		out = append(out, t)
	}
	return out, nil
}
