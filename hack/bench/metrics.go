package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseMetrics reads the Prometheus text format; lines it cannot read are
// left out.
func parseMetrics(r io.Reader) []sample {
	var out []sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		s := sample{labels: map[string]string{}}
		rest := line
		if i := strings.IndexAny(line, "{ "); i > 0 {
			s.name, rest = line[:i], line[i:]
		} else {
			continue
		}
		if strings.HasPrefix(rest, "{") {
			end := strings.LastIndex(rest, "}")
			if end < 0 {
				continue
			}
			for _, kv := range splitLabels(rest[1:end]) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					s.labels[k] = strings.Trim(v, `"`)
				}
			}
			rest = rest[end+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		s.value = v
		out = append(out, s)
	}
	return out
}

// splitLabels splits k="v",k="v" at the commas outside quotes.
func splitLabels(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == ',' && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// apiserverCounts are what the API server counts of its clients: open
// watches and requests, by resource.
type apiserverCounts struct {
	watches map[schema.GroupVersionResource]int
	// requests by "VERB resource", e.g. "GET pods".
	requests map[string]float64
}

func (b *bench) apiserverCounts(ctx context.Context) (apiserverCounts, error) {
	cs, err := kubernetes.NewForConfig(b.kube.Config)
	if err != nil {
		return apiserverCounts{}, err
	}
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return apiserverCounts{}, fmt.Errorf("reading the API server's metrics: %w", err)
	}
	out := apiserverCounts{watches: map[schema.GroupVersionResource]int{}, requests: map[string]float64{}}
	for _, s := range parseMetrics(strings.NewReader(string(raw))) {
		switch {
		case s.name == "apiserver_longrunning_requests" && s.labels["verb"] == "WATCH" && s.labels["subresource"] == "":
			gvr := schema.GroupVersionResource{Group: s.labels["group"], Version: s.labels["version"], Resource: s.labels["resource"]}
			out.watches[gvr] += int(s.value)
		case s.name == "apiserver_request_total" && s.labels["subresource"] == "":
			out.requests[s.labels["verb"]+" "+s.labels["resource"]] += s.value
		}
	}
	return out, nil
}

// newWatches are the watches opened since before.
func (c apiserverCounts) newWatches(before apiserverCounts) map[schema.GroupVersionResource]int {
	out := map[schema.GroupVersionResource]int{}
	for gvr, n := range c.watches {
		if d := n - before.watches[gvr]; d > 0 {
			out[gvr] = d
		}
	}
	return out
}

// objects counts the objects of a resource in the whole cluster, reading
// only their metadata.
func (b *bench) objects(ctx context.Context, gvr schema.GroupVersionResource) (int, error) {
	cs, err := kubernetes.NewForConfig(b.kube.Config)
	if err != nil {
		return 0, err
	}
	path := "/apis/" + gvr.Group + "/" + gvr.Version + "/" + gvr.Resource
	if gvr.Group == "" {
		path = "/api/" + gvr.Version + "/" + gvr.Resource
	}
	var list metav1.PartialObjectMetadataList
	err = cs.Discovery().RESTClient().Get().AbsPath(path).
		SetHeader("Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1").Do(ctx).Into(&list)
	if err != nil {
		return 0, fmt.Errorf("listing %s: %w", gvr.Resource, err)
	}
	return len(list.Items), nil
}

// heapSampler reads kelb's metrics while kelb converges and keeps the
// largest Go heap in use it saw (spans in use: live objects and garbage
// not yet collected).
type heapSampler struct {
	url  string
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	maxHeap float64
	samples int
}

// freeLocalPort is a loopback port nobody listens on now.
func freeLocalPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func sampleHeap(port int, every time.Duration) *heapSampler {
	h := &heapSampler{url: fmt.Sprintf("http://127.0.0.1:%d/metrics", port), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		// Uncompressed: a gzip writer per scrape is memory of the bench's
		// making in kelb's heap.
		client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableCompression: true}}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
			resp, err := client.Get(h.url)
			if err != nil {
				continue // not serving yet
			}
			for _, s := range parseMetrics(resp.Body) {
				if s.name == "go_memstats_heap_inuse_bytes" {
					h.mu.Lock()
					h.maxHeap, h.samples = max(h.maxHeap, s.value), h.samples+1
					h.mu.Unlock()
				}
			}
			_ = resp.Body.Close()
		}
	}()
	return h
}

// peak stops sampling and returns the largest heap in use seen, in MB.
func (h *heapSampler) peak() (mb float64, samples int) {
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.maxHeap / (1 << 20), h.samples
}
