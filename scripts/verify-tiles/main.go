// Command verify-tiles checks a C2SP tlog-tiles log over HTTP with Go's own tlog and note
// packages (golang.org/x/mod/sumdb), independently of EdgeLedger's code: the checkpoint's
// Ed25519 signature with the log's verifier key, every entry bundle, every hash tile, and an
// inclusion proof of every entry against the signed root.
//
// Usage:
//
//	verify-tiles -url <log prefix> -vkey <verifier key> [-token <bearer token>]
//
// where <log prefix> is a gateway's API prefix or an upstream's <monitoring prefix>/<origin hash>.
// It prints one line and exits 0 when everything verifies, else prints what failed and exits 1.
// Bundles are fetched with Accept-Encoding: gzip (Go's HTTP client asks for it and decodes it).
//
// Built offline with Debian's golang-go and golang-golang-x-mod-dev (scripts/verify-tiles.sh).
package main

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

var (
	prefix  = flag.String("url", "", "the log's tlog-tiles prefix, e.g. http://host:8090/logs/<origin hash>")
	vkey    = flag.String("vkey", "", "the log's Ed25519 verifier key (name+keyid+base64)")
	token   = flag.String("token", "", "bearer token, when the server requires one")
	client  = &http.Client{Timeout: 30 * time.Second}
	fetches = 0
	gzipped = 0
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "verify-tiles: FAILED: "+format+"\n", args...)
	os.Exit(1)
}

func get(path string) []byte {
	req, err := http.NewRequest("GET", strings.TrimSuffix(*prefix, "/")+"/"+path, nil)
	if err != nil {
		fail("%v", err)
	}
	if *token != "" {
		req.Header.Set("Authorization", "Bearer "+*token)
	}
	resp, err := client.Do(req)
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	if resp.StatusCode != 200 {
		fail("GET %s: HTTP %d: %s", path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if resp.Uncompressed {
		gzipped++
	}
	fetches++
	return body
}

// c2spPath turns a sumdb tile path (tile/8/L/N, tile/8/data/N) into the C2SP tlog-tiles path
// (tile/L/N, tile/entries/N): C2SP fixes the height at 8 and leaves it out.
func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), "tile/8/")
	if strings.HasPrefix(p, "data/") {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

// server reads hash tiles from the server, keeping what it read.
type server struct{ cache map[string][]byte }

func (s *server) Height() int { return height }
func (s *server) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p := c2spPath(t)
		if s.cache[p] == nil {
			s.cache[p] = get(p)
		}
		out[i] = s.cache[p]
	}
	return out, nil
}
func (s *server) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func main() {
	flag.Parse()
	if *prefix == "" || *vkey == "" {
		fmt.Fprintln(os.Stderr, "usage: verify-tiles -url <log prefix> -vkey <verifier key> [-token <token>]")
		os.Exit(2)
	}
	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}

	// The checkpoint: signed by the log's key (other signature lines, e.g. a mirror's or a
	// witness's cosignature, are left unverified by sumdb/note).
	msg := get("checkpoint")
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint origin %q is not %q", lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		fail("checkpoint size %q", lines[1])
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("checkpoint root %q", lines[2])
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	tree := tlog.Tree{N: size, Hash: root}

	// Every entry bundle, and the tree's stored hashes computed from the entries alone.
	var entries [][]byte
	for k := int64(0); k*256 < size; k++ {
		width := size - k*256
		if width > 256 {
			width = 256
		}
		t := tlog.Tile{H: height, L: -1, N: k, W: int(width)}
		data := get(c2spPath(t))
		for i := 0; i < int(width); i++ {
			if len(data) < 2 {
				fail("%s: truncated before entry %d", c2spPath(t), i)
			}
			l := int(data[0])<<8 | int(data[1])
			if len(data) < 2+l {
				fail("%s: entry %d is truncated", c2spPath(t), i)
			}
			entries = append(entries, data[2:2+l])
			data = data[2+l:]
		}
		if len(data) != 0 {
			fail("%s: %d bytes after the last entry", c2spPath(t), len(data))
		}
	}
	var stored []tlog.Hash
	local := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x >= int64(len(stored)) {
				return nil, fmt.Errorf("stored hash %d not computed", x)
			}
			out[i] = stored[x]
		}
		return out, nil
	})
	for i, e := range entries {
		hashes, err := tlog.StoredHashes(int64(i), e, local)
		if err != nil {
			fail("hashing entry %d: %v", i, err)
		}
		stored = append(stored, hashes...)
	}
	computed, err := tlog.TreeHash(size, local)
	if err != nil {
		fail("root: %v", err)
	}
	if computed != root {
		fail("the entries give root %v, the signed checkpoint says %v", computed, root)
	}

	// Every hash tile, byte for byte what the entries give.
	srv := &server{cache: map[string][]byte{}}
	tiles := tlog.NewTiles(height, 0, size)
	for _, t := range tiles {
		want, err := tlog.ReadTileData(t, local)
		if err != nil {
			fail("%s: %v", c2spPath(t), err)
		}
		got, _ := srv.ReadTiles([]tlog.Tile{t})
		if !bytes.Equal(got[0], want) {
			fail("%s differs from the tile the entries give", c2spPath(t))
		}
	}

	// And tlog's own client path: every entry proved included in the signed tree through the
	// served tiles (tlog.TileHashReader checks each tile it reads against the tree).
	hr := tlog.TileHashReader(tree, srv)
	for i, e := range entries {
		proof, err := tlog.ProveRecord(size, int64(i), hr)
		if err != nil {
			fail("inclusion proof of entry %d: %v", i, err)
		}
		if err := tlog.CheckRecord(proof, size, root, int64(i), tlog.RecordHash(e)); err != nil {
			fail("entry %d: %v", i, err)
		}
	}
	fmt.Printf("verify-tiles: OK %s size %d root %s: signature, %d entries (%d bundles, %d gzip), %d hash tiles, %d inclusion proofs (%d requests)\n",
		lines[0], size, lines[2], len(entries), (size+255)/256, gzipped, len(tiles), len(entries), fetches)
}
