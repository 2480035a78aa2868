package awsproxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
)

// WAFRegional emulates the few calls of classic regional WAF
// ("waf-regional") that kelb makes, which moto lacks entirely: GetWebACL,
// GetWebACLForResource, AssociateWebACL (one web ACL per resource: a new
// one replaces the old), DisassociateWebACL, with AWS's shapes and error
// codes. Tests create web ACLs with Create (or the control API); other
// calls get AWS's answer to an unknown operation.
type WAFRegional struct {
	mu sync.Mutex
	// acls are the web ACLs' names by account and id; associations the
	// web ACL id of each resource by account.
	acls         map[string]map[string]string
	associations map[string]map[string]string
}

// NewWAFRegional returns an emulator without web ACLs.
func NewWAFRegional() *WAFRegional {
	return &WAFRegional{acls: map[string]map[string]string{}, associations: map[string]map[string]string{}}
}

// Create makes a web ACL in account ("" for the emulator's default).
func (w *WAFRegional) Create(account, id, name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.acls[account] == nil {
		w.acls[account] = map[string]string{}
	}
	w.acls[account][id] = name
}

// AssociatedWith returns the id of the web ACL of resource, "" for none.
func (w *WAFRegional) AssociatedWith(account, resource string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.associations[account][resource]
}

// Wrap implements Middleware.
func (w *WAFRegional) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "waf-regional" {
			return next(r)
		}
		var in struct{ WebACLId, ResourceArn string }
		if err := json.Unmarshal(r.Body, &in); err != nil {
			return errorResponse(r, http.StatusBadRequest, "SerializationException", err.Error())
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		acls, assoc := w.acls[r.Account], w.associations[r.Account]
		if assoc == nil {
			assoc = map[string]string{}
			w.associations[r.Account] = assoc
		}
		missing := func() *Response {
			return errorResponse(r, http.StatusBadRequest, "WAFNonexistentItemException",
				"The referenced item does not exist.")
		}
		switch r.Action {
		case "GetWebACL":
			name, ok := acls[in.WebACLId]
			if !ok {
				return missing()
			}
			return jsonResponse(map[string]any{"WebACL": map[string]any{"WebACLId": in.WebACLId, "Name": name,
				"MetricName": name, "DefaultAction": map[string]string{"Type": "ALLOW"}, "Rules": []any{},
				"WebACLArn": fmt.Sprintf("arn:aws:waf-regional:us-west-2:%s:webacl/%s", accountOr(r.Account), in.WebACLId)}})
		case "GetWebACLForResource":
			id, ok := assoc[in.ResourceArn]
			if !ok {
				return jsonResponse(map[string]any{})
			}
			return jsonResponse(map[string]any{"WebACLSummary": map[string]string{"WebACLId": id, "Name": acls[id]}})
		case "AssociateWebACL":
			if _, ok := acls[in.WebACLId]; !ok || in.ResourceArn == "" {
				return missing()
			}
			assoc[in.ResourceArn] = in.WebACLId
			return jsonResponse(map[string]any{})
		case "DisassociateWebACL":
			delete(assoc, in.ResourceArn)
			return jsonResponse(map[string]any{})
		}
		return errorResponse(r, http.StatusBadRequest, "UnknownOperationException",
			"the emulator serves only GetWebACL, GetWebACLForResource, AssociateWebACL and DisassociateWebACL")
	}
}

// accountOr is the account an ARN names: the emulator's default when the
// request names none.
func accountOr(account string) string {
	if account == "" {
		return "123456789012"
	}
	return account
}
