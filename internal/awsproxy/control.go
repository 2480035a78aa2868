package awsproxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// controlPrefix is where the proxy answers its own API, for tests and tools
// that run it in another process:
//
//	GET    /_proxy/calls   the call log as JSON
//	DELETE /_proxy/calls   reset the call log
//	PUT    /_proxy/faults  replace the fault rules (JSON list of FaultRule)
//	PUT    /_proxy/provisioning?duration=5s
//	PUT    /_proxy/certificates?arn=...&state=MISSING|PENDING_VALIDATION|...  hold a certificate back
//	DELETE /_proxy/certificates?arn=...  make it usable
//	PUT    /_proxy/target-health?initial=5s&drain-scale=0.01  targets' initial time, drain scale
//	PUT    /_proxy/target-health?arn=...&id=...&port=...&state=unhealthy|healthy|  force a target
//	PUT    /_proxy/waf-regional?id=...&name=...[&account=...]  create a classic regional WAF web ACL
const controlPrefix = "/_proxy/"

func (p *Proxy) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path[len(controlPrefix):] {
	case "calls":
		if r.Method == http.MethodDelete {
			p.Log.Reset()
			return
		}
		_ = json.NewEncoder(w).Encode(p.Log.Calls())
	case "faults":
		if r.Method == http.MethodPut {
			var rules []FaultRule
			if err := json.NewDecoder(r.Body).Decode(&rules); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			p.Faults.Set(rules...)
		}
		_ = json.NewEncoder(w).Encode(p.Faults.Rules())
	case "provisioning":
		d, err := time.ParseDuration(r.URL.Query().Get("duration"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.Provisioning.SetDuration(d)
	case "certificates":
		arn, state := r.URL.Query().Get("arn"), r.URL.Query().Get("state")
		switch {
		case arn == "" || (r.Method == http.MethodPut && state == ""):
			http.Error(w, "want arn, and state to hold", http.StatusBadRequest)
		case r.Method == http.MethodPut:
			p.Certificates.Hold(arn, state)
		case r.Method == http.MethodDelete:
			p.Certificates.Release(arn)
		default:
			http.Error(w, "want PUT or DELETE", http.StatusMethodNotAllowed)
		}
	case "waf-regional":
		q := r.URL.Query()
		if r.Method != http.MethodPut || q.Get("id") == "" || q.Get("name") == "" {
			http.Error(w, "want PUT with id and name", http.StatusBadRequest)
			return
		}
		p.WAFRegional.Create(q.Get("account"), q.Get("id"), q.Get("name"))
	case "target-health":
		if err := p.controlTargetHealth(r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	default:
		http.NotFound(w, r)
	}
}

func (p *Proxy) controlTargetHealth(r *http.Request) error {
	q := r.URL.Query()
	if r.Method != http.MethodPut {
		return fmt.Errorf("want PUT")
	}
	if q.Has("id") {
		port, err := strconv.ParseInt(q.Get("port"), 10, 32)
		if err != nil || q.Get("arn") == "" {
			return fmt.Errorf("want arn, id, port and state")
		}
		return p.TargetHealth.Force(q.Get("arn"), q.Get("id"), int32(port), q.Get("state"))
	}
	initial, err := time.ParseDuration(q.Get("initial"))
	if err != nil {
		return err
	}
	scale, err := strconv.ParseFloat(q.Get("drain-scale"), 64)
	if err != nil || scale < 0 {
		return fmt.Errorf("drain-scale %q: want a number, 0 or more", q.Get("drain-scale"))
	}
	p.TargetHealth.SetTimes(initial, scale)
	return nil
}
