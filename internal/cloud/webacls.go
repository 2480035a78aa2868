package cloud

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/wafregional"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	wafv2types "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	"k8s.io/utils/clock"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
)

// webACLTTL is how long web ACLs found stay known (LBC caches a name's
// ARN for 10 minutes).
const webACLTTL = 10 * time.Minute

// WAFv2Lister is the part of the WAFv2 API WebACLNames calls.
type WAFv2Lister interface {
	ListWebACLs(context.Context, *wafv2.ListWebACLsInput, ...func(*wafv2.Options)) (*wafv2.ListWebACLsOutput, error)
}

// WAFv2Reader is the part of the WAFv2 API WebACLLookup calls.
type WAFv2Reader interface {
	GetWebACL(context.Context, *wafv2.GetWebACLInput, ...func(*wafv2.Options)) (*wafv2.GetWebACLOutput, error)
}

// WebACLLookup says which WAFv2 web ACLs named by ARN (wafv2-acl-arn)
// exist, so that a missing one is refused before any change (LBC finds
// out at the association, after the load balancer was written). It reads
// with GetWebACL, which LBC's IAM policy allows; without that permission
// the web ACL counts as found and AWS answers at the association. A web
// ACL found is remembered for webACLTTL; a missing one is asked again.
type WebACLLookup struct {
	api   WAFv2Reader
	clock clock.PassiveClock
	mu    sync.Mutex
	seen  map[string]time.Time
}

// NewWebACLLookup returns the lookup.
func NewWebACLLookup(api WAFv2Reader, clk clock.PassiveClock) *WebACLLookup {
	return &WebACLLookup{api: api, clock: clk, seen: map[string]time.Time{}}
}

// Exist reports, for each ARN, whether AWS holds the web ACL.
func (w *WebACLLookup) Exist(ctx context.Context, arns []string) (map[string]bool, error) {
	out := make(map[string]bool, len(arns))
	for _, arn := range arns {
		w.mu.Lock()
		at, ok := w.seen[arn]
		w.mu.Unlock()
		if ok && w.clock.Since(at) < webACLTTL {
			out[arn] = true
			continue
		}
		_, err := w.api.GetWebACL(ctx, &wafv2.GetWebACLInput{ARN: aws.String(arn), Scope: wafv2types.ScopeRegional})
		switch {
		case err == nil:
			out[arn] = true
			w.mu.Lock()
			w.seen[arn] = w.clock.Now()
			w.mu.Unlock()
		case awsclient.IsNotFound(err):
			out[arn] = false
		case awsclient.ErrorCode(err) == "AccessDeniedException":
			out[arn] = true // unchecked: the association will tell
		default:
			return nil, fmt.Errorf("reading WAFv2 web ACL %s: %w", arn, err)
		}
	}
	return out, nil
}

// WebACLNames resolves the names of regional WAFv2 web ACLs to their ARNs
// (wafv2-acl-name), as LBC does: AWS has no look-up by name, so the
// region's web ACLs are listed (scope REGIONAL, the one load balancers
// take). The list is kept for webACLTTL; a name it lacks lists again, so a
// web ACL just created is found at the Ingress's next retry.
type WebACLNames struct {
	api    WAFv2Lister
	clock  clock.PassiveClock
	mu     sync.Mutex
	byName map[string]string
	readAt time.Time
}

// NewWebACLNames returns the resolver.
func NewWebACLNames(api WAFv2Lister, clk clock.PassiveClock) *WebACLNames {
	return &WebACLNames{api: api, clock: clk}
}

// Resolve returns the ARN of each name AWS has; a name missing from the
// answer is a web ACL AWS does not have.
func (w *WebACLNames) Resolve(ctx context.Context, names []string) (map[string]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fresh := w.byName != nil && w.clock.Since(w.readAt) < webACLTTL
	if !fresh || !w.hasAll(names) {
		if err := w.list(ctx); err != nil {
			return nil, err
		}
	}
	out := map[string]string{}
	for _, n := range names {
		if arn, ok := w.byName[n]; ok {
			out[n] = arn
		}
	}
	return out, nil
}

func (w *WebACLNames) hasAll(names []string) bool {
	for _, n := range names {
		if _, ok := w.byName[n]; !ok {
			return false
		}
	}
	return true
}

func (w *WebACLNames) list(ctx context.Context) error {
	byName := map[string]string{}
	in := &wafv2.ListWebACLsInput{Scope: wafv2types.ScopeRegional, Limit: aws.Int32(100)}
	for {
		out, err := w.api.ListWebACLs(ctx, in)
		if err != nil {
			return fmt.Errorf("listing regional WAFv2 web ACLs: %w", err)
		}
		for _, acl := range out.WebACLs {
			byName[aws.ToString(acl.Name)] = aws.ToString(acl.ARN)
		}
		if aws.ToString(out.NextMarker) == "" || len(out.WebACLs) == 0 {
			break
		}
		in.NextMarker = out.NextMarker
	}
	w.byName, w.readAt = byName, w.clock.Now()
	return nil
}

// WAFRegionalReader is the part of the classic WAF API ClassicWebACLs
// calls.
type WAFRegionalReader interface {
	GetWebACL(context.Context, *wafregional.GetWebACLInput, ...func(*wafregional.Options)) (*wafregional.GetWebACLOutput, error)
}

// ClassicWebACLs says which classic (regional) WAF web ACLs exist
// (waf-acl-id), so that a missing one is refused before any change (LBC
// finds out at the association, after the load balancer was written). A
// web ACL found is remembered for webACLTTL; a missing one is asked again
// each time. Without the permission to read, the web ACL counts as found
// and AWS answers at the association.
type ClassicWebACLs struct {
	api   WAFRegionalReader
	clock clock.PassiveClock
	mu    sync.Mutex
	seen  map[string]time.Time
}

// NewClassicWebACLs returns the lookup.
func NewClassicWebACLs(api WAFRegionalReader, clk clock.PassiveClock) *ClassicWebACLs {
	return &ClassicWebACLs{api: api, clock: clk, seen: map[string]time.Time{}}
}

// Exist reports, for each id, whether AWS holds the web ACL.
func (c *ClassicWebACLs) Exist(ctx context.Context, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		c.mu.Lock()
		at, ok := c.seen[id]
		c.mu.Unlock()
		if ok && c.clock.Since(at) < webACLTTL {
			out[id] = true
			continue
		}
		_, err := c.api.GetWebACL(ctx, &wafregional.GetWebACLInput{WebACLId: aws.String(id)})
		switch {
		case err == nil:
			out[id] = true
			c.mu.Lock()
			c.seen[id] = c.clock.Now()
			c.mu.Unlock()
		case awsclient.IsNotFound(err):
			out[id] = false
		case awsclient.ErrorCode(err) == "AccessDeniedException":
			out[id] = true // unchecked: the association will tell
		default:
			return nil, fmt.Errorf("reading classic WAF web ACL %s: %w", id, err)
		}
	}
	return out, nil
}
