package awsproxy

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sync"
)

// ListenerCertificates emulates what AWS does with a listener's
// certificates, which moto gets wrong: CreateListener and ModifyListener
// take exactly one certificate, the default (moto keeps the first of
// several, and ModifyListener ignores it on TLS listeners);
// DescribeListeners shows only the default (moto lists the others too); the
// others are added, listed and removed with AddListenerCertificates,
// DescribeListenerCertificates and RemoveListenerCertificates, which this
// middleware answers itself from its own record.
type ListenerCertificates struct {
	mu        sync.Mutex
	listeners map[string]*listenerCerts // by account and listener ARN
}

type listenerCerts struct {
	def    string
	extras []string
}

// NewListenerCertificates returns the middleware with no listener known.
func NewListenerCertificates() *ListenerCertificates {
	return &ListenerCertificates{listeners: map[string]*listenerCerts{}}
}

var (
	certificateParam = regexp.MustCompile(`^Certificates\.member\.\d+\.CertificateArn$`)
	listenerARNElem  = regexp.MustCompile(`<ListenerArn>([^<]+)</ListenerArn>`)
	certificatesElem = regexp.MustCompile(`(?s)<Certificates>.*?</Certificates>`)
	certificateElem  = regexp.MustCompile(`<CertificateArn>([^<]+)</CertificateArn>`)
)

// Wrap implements Middleware.
func (lc *ListenerCertificates) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "elasticloadbalancing" {
			return next(r)
		}
		switch r.Action {
		case "CreateListener", "ModifyListener":
			certs := requestCertificates(r.Params)
			if len(certs) > 1 {
				return errorResponse(r, http.StatusBadRequest, "ValidationError",
					fmt.Sprintf("Up to '1' certificate ARNs can be specified, but '%d' were specified", len(certs)))
			}
			resp := next(r)
			if resp.Status != http.StatusOK {
				return resp
			}
			if m := listenerARNElem.FindSubmatch(resp.Body); m != nil {
				lc.record(r, string(m[1]), certs, r.Params.Get("Protocol"))
			}
			resp.Body = lc.defaultsOnly(r, resp.Body)
			return resp
		case "DescribeListeners":
			resp := next(r)
			if resp.Status == http.StatusOK {
				resp.Body = lc.defaultsOnly(r, resp.Body)
			}
			return resp
		case "AddListenerCertificates", "RemoveListenerCertificates", "DescribeListenerCertificates":
			return lc.answer(next, r)
		}
		return next(r)
	}
}

func requestCertificates(params url.Values) []string {
	var out []string
	for k, v := range params {
		if certificateParam.MatchString(k) && len(v) > 0 {
			out = append(out, v[0])
		}
	}
	slices.Sort(out)
	return out
}

func (lc *ListenerCertificates) key(r *Request, arn string) string { return r.Account + " " + arn }

// record notes the default certificate a create or modify set. A listener
// that stops being TLS (or HTTPS) loses its certificates.
func (lc *ListenerCertificates) record(r *Request, arn string, certs []string, protocol string) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	k := lc.key(r, arn)
	if protocol == "TCP" || protocol == "UDP" || protocol == "TCP_UDP" || protocol == "HTTP" {
		delete(lc.listeners, k)
		return
	}
	if len(certs) == 0 {
		return // unchanged
	}
	l, ok := lc.listeners[k]
	if !ok {
		l = &listenerCerts{}
		lc.listeners[k] = l
	}
	l.def = certs[0]
}

// defaultsOnly rewrites each listener of an answer to show only its default
// certificate.
func (lc *ListenerCertificates) defaultsOnly(r *Request, body []byte) []byte {
	ids := listenerARNElem.FindAllSubmatchIndex(body, -1)
	var out bytes.Buffer
	last := 0
	for i, a := range ids {
		end := len(body)
		if i+1 < len(ids) {
			end = ids[i+1][0]
		}
		block := certificatesElem.FindIndex(body[a[1]:end])
		if block == nil {
			continue
		}
		from, to := a[1]+block[0], a[1]+block[1]
		def := lc.defaultOf(r, string(body[a[2]:a[3]]))
		if def == "" {
			if m := certificateElem.FindSubmatch(body[from:to]); m != nil {
				def = html.UnescapeString(string(m[1]))
			}
		}
		out.Write(body[last:from])
		if def != "" {
			fmt.Fprintf(&out, "<Certificates><member><CertificateArn>%s</CertificateArn></member></Certificates>",
				html.EscapeString(def))
		}
		last = to
	}
	out.Write(body[last:])
	return out.Bytes()
}

func (lc *ListenerCertificates) defaultOf(r *Request, arn string) string {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if l, ok := lc.listeners[lc.key(r, arn)]; ok {
		return l.def
	}
	return ""
}

// answer serves the listener-certificate calls from the record, after the
// emulator confirms the listener exists (its answer to DescribeListeners,
// ListenerNotFound included, is passed on).
func (lc *ListenerCertificates) answer(next Handler, r *Request) *Response {
	arn := r.Params.Get("ListenerArn")
	found := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeListeners"},
		"Version": {"2015-12-01"}, "ListenerArns.member.1": {arn}}))
	if found.Status != http.StatusOK {
		return found
	}
	certs := requestCertificates(r.Params)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	k := lc.key(r, arn)
	l, ok := lc.listeners[k]
	if !ok {
		l = &listenerCerts{}
		if m := certificateElem.FindSubmatch(found.Body); m != nil {
			l.def = html.UnescapeString(string(m[1]))
		}
		lc.listeners[k] = l
	}
	var members bytes.Buffer
	switch r.Action {
	case "AddListenerCertificates":
		for _, c := range certs {
			if !slices.Contains(l.extras, c) {
				l.extras = append(l.extras, c)
			}
		}
		for _, c := range l.extras {
			fmt.Fprintf(&members, "<member><CertificateArn>%s</CertificateArn></member>", html.EscapeString(c))
		}
	case "RemoveListenerCertificates":
		l.extras = slices.DeleteFunc(l.extras, func(c string) bool { return slices.Contains(certs, c) })
	case "DescribeListenerCertificates":
		if l.def != "" {
			fmt.Fprintf(&members, "<member><CertificateArn>%s</CertificateArn><IsDefault>true</IsDefault></member>",
				html.EscapeString(l.def))
		}
		for _, c := range l.extras {
			fmt.Fprintf(&members, "<member><CertificateArn>%s</CertificateArn><IsDefault>false</IsDefault></member>",
				html.EscapeString(c))
		}
	}
	result := ""
	if r.Action != "RemoveListenerCertificates" {
		result = "<Certificates>" + members.String() + "</Certificates>"
	}
	return &Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/xml"}},
		Body: fmt.Appendf(nil, `<%[1]sResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">`+
			`<%[1]sResult>%[2]s</%[1]sResult><ResponseMetadata><RequestId>kelb-proxy</RequestId></ResponseMetadata></%[1]sResponse>`,
			r.Action, result)}
}
