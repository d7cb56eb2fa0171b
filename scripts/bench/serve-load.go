// Command serve-load reads a list of URLs in a loop from many connections for a while and prints
// requests/s, MB/s (body bytes as received), status codes and the X-Cache-Status values an nginx
// cache in front reports — the load generator of scripts/bench-serve.sh (Go standard library
// only; built offline by that script).
//
// Usage: serve-load -urls FILE [-c 32] [-d 10s] [-gzip] [-token T]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	urlsFile := flag.String("urls", "", "file with one URL per line")
	conns := flag.Int("c", 32, "concurrent connections")
	duration := flag.Duration("d", 10*time.Second, "how long")
	gzip := flag.Bool("gzip", false, "send Accept-Encoding: gzip (the body is counted compressed)")
	token := flag.String("token", "", "bearer token")
	once := flag.Bool("once", false, "read each URL once (one connection per worker), then stop")
	flag.Parse()
	f, err := os.Open(*urlsFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var urls []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if t := strings.TrimSpace(s.Text()); t != "" {
			urls = append(urls, t)
		}
	}
	if len(urls) == 0 {
		fmt.Fprintln(os.Stderr, "no URLs")
		os.Exit(2)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DisableCompression: true}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	var requests, bytes, next int64
	var mu sync.Mutex
	statuses := map[string]int{}
	deadline := time.Now().Add(*duration)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[string]int{}
			for {
				i := atomic.AddInt64(&next, 1) - 1
				if *once && i >= int64(len(urls)) {
					break
				}
				if !*once && time.Now().After(deadline) {
					break
				}
				req, _ := http.NewRequest("GET", urls[i%int64(len(urls))], nil)
				if *gzip {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				if *token != "" {
					req.Header.Set("Authorization", "Bearer "+*token)
				}
				resp, err := client.Do(req)
				if err != nil {
					local["error"]++
					continue
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				atomic.AddInt64(&requests, 1)
				atomic.AddInt64(&bytes, n)
				key := fmt.Sprint(resp.StatusCode)
				if c := resp.Header.Get("X-Cache-Status"); c != "" {
					key += " " + c
				}
				local[key]++
			}
			mu.Lock()
			for k, v := range local {
				statuses[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	var keys []string
	for k := range statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, statuses[k]))
	}
	fmt.Printf("%d requests in %.1f s: %.0f req/s, %.1f MB/s [%s]\n", requests, elapsed,
		float64(requests)/elapsed, float64(bytes)/elapsed/1e6, strings.Join(parts, " "))
}
