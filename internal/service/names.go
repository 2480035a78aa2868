package service

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

var invalidNameChars = regexp.MustCompile(`[^a-z0-9]`)

// generatedName returns "k8s-<ns up to 8>-<name up to 8>-<10 hex>", at most
// 32 characters, as LBC names load balancers, target groups and groups.
func generatedName(namespace, name string, hashed ...string) string {
	h := sha256.New()
	for _, s := range hashed {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	sum := hex.EncodeToString(h.Sum(nil))[:10]
	return "k8s-" + shorten(namespace) + "-" + shorten(name) + "-" + sum
}

func shorten(s string) string {
	s = invalidNameChars.ReplaceAllString(strings.ToLower(s), "")
	if len(s) > 8 {
		s = s[:8]
	}
	return s
}

var validLBName = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$`)
