// Command verifier checks a prasasti log using only Go's
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog packages:
// the signed checkpoint, the C2SP hash tiles, the entry bundles and the
// JSON inclusion and consistency proofs. It shares no code with prasasti.
// With -witness and -quorum it also checks the witnesses' cosignatures
// (c2sp.org/tlog-cosignature, cosignature/v1) in a few lines of its own.
//
// Usage: verifier -server http://127.0.0.1:8080 -vkey 'origin+hex+base64'
//
//	[-witness 'name+hex+base64' ... -quorum K]
//
// With -sign it is instead a log of its own: it prints the checkpoint of
// -size and -root signed with the note signer key -sign by
// golang.org/x/mod/sumdb/note (for witnessing a log that is not prasasti).
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var server string

func get(path string) []byte {
	resp, err := http.Get(server + path)
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		fail("GET %s: status %d, %v", path, resp.StatusCode, err)
	}
	return body
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// c2spPath writes a tile path as C2SP tlog-tiles does (no height element,
// "entries" for data tiles), which differs from the sumdb Tile.Path.
func c2spPath(level string, n int64, w int) string {
	groups := []string{fmt.Sprintf("%03d", n%1000)}
	for n /= 1000; n > 0; n /= 1000 {
		groups = append([]string{fmt.Sprintf("x%03d", n%1000)}, groups...)
	}
	p := "/tile/" + level + "/" + strings.Join(groups, "/")
	if w < 256 {
		p += fmt.Sprintf(".p/%d", w)
	}
	return p
}

type tileReader struct{}

func (tileReader) Height() int { return 8 }

func (tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		out[i] = get(c2spPath(strconv.Itoa(t.L), t.N, t.W))
	}
	return out, nil
}

func (tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func hashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			fail("bad hash %q", s)
		}
		copy(out[i][:], b)
	}
	return out
}

type witnessList []string

func (w *witnessList) String() string     { return strings.Join(*w, " ") }
func (w *witnessList) Set(v string) error { *w = append(*w, v); return nil }

// cosignedBy reports whether the note carries a valid cosignature/v1 by
// the witness whose verifier key is vkey (name+hex id+base64(0x04||key)),
// and the time it carries.
func cosignedBy(n *note.Note, vkey string) (bool, uint64) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		fail("witness key %q", vkey)
	}
	name := parts[0]
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 33 || key[0] != 0x04 {
		fail("witness key %q is not a cosignature/v1 Ed25519 key", vkey)
	}
	sum := sha256.Sum256(append([]byte(name+"\n"), key...))
	id := binary.BigEndian.Uint32(sum[:4])
	if fmt.Sprintf("%08x", id) != parts[1] {
		fail("witness key %q: wrong key id", vkey)
	}
	for _, sig := range n.UnverifiedSigs {
		if sig.Name != name || sig.Hash != id {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(sig.Base64)
		if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
			continue
		}
		ts := binary.BigEndian.Uint64(raw[4:12])
		msg := fmt.Sprintf("cosignature/v1\ntime %d\n", ts) + n.Text
		if ed25519.Verify(ed25519.PublicKey(key[1:]), []byte(msg), raw[12:]) {
			return true, ts
		}
	}
	return false, 0
}

func main() {
	vkey := flag.String("vkey", "", "verifier key of the log")
	flag.StringVar(&server, "server", "", "base URL of the prasasti server")
	var witnesses witnessList
	flag.Var(&witnesses, "witness", "verifier key of a witness (repeatable)")
	quorum := flag.Int("quorum", 0, "how many of the witnesses must have cosigned")
	skey := flag.String("sign", "", "sign a checkpoint with this note signer key instead")
	signSize := flag.Int64("size", 0, "with -sign: the tree size")
	rootB64 := flag.String("root", "", "with -sign: the root hash, base64")
	flag.Parse()

	if *skey != "" {
		signer, err := note.NewSigner(*skey)
		if err != nil {
			fail("signer key: %v", err)
		}
		text := fmt.Sprintf("%s\n%d\n%s\n", signer.Name(), *signSize, *rootB64)
		msg, err := note.Sign(&note.Note{Text: text}, signer)
		if err != nil {
			fail("sign: %v", err)
		}
		os.Stdout.Write(msg)
		return
	}

	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg := get("/checkpoint")
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	cosigners := 0
	for _, w := range witnesses {
		if ok, ts := cosignedBy(n, w); ok {
			cosigners++
			fmt.Printf("cosigned by %s at %d\n", strings.SplitN(w, "+", 2)[0], ts)
		}
	}
	if cosigners < *quorum {
		fail("checkpoint: %d of the witnesses cosigned, %d needed", cosigners, *quorum)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint body %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size %q", lines[1])
	}
	root := hashes([]string{lines[2]})[0]
	tree := tlog.Tree{N: size, Hash: root}
	reader := tlog.TileHashReader(tree, tileReader{})

	// The hash tiles reproduce the signed root.
	th, err := tlog.TreeHash(size, reader)
	if err != nil || th != root {
		fail("tree hash from tiles: %v (%v vs %v)", err, th, root)
	}

	// Every entry of the entry bundles is in the tree at its index.
	var index int64
	for tile := int64(0); tile*256 < size; tile++ {
		w := int(size - tile*256)
		if w > 256 {
			w = 256
		}
		bundle := get(c2spPath("entries", tile, w))
		for len(bundle) > 0 {
			if len(bundle) < 2 {
				fail("truncated entry bundle %d", tile)
			}
			l := int(binary.BigEndian.Uint16(bundle))
			if len(bundle) < 2+l {
				fail("truncated entry bundle %d", tile)
			}
			entry := bundle[2 : 2+l]
			bundle = bundle[2+l:]
			leaf := tlog.RecordHash(entry)
			proof, err := tlog.ProveRecord(size, index, reader)
			if err != nil {
				fail("proof of %d from tiles: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, size, root, index, leaf); err != nil {
				fail("entry %d from the bundle: %v", index, err)
			}
			// The JSON inclusion proof verifies too.
			var inc struct {
				Index    int64    `json:"index"`
				TreeSize int64    `json:"tree_size"`
				RootHash string   `json:"root_hash"`
				Hashes   []string `json:"hashes"`
			}
			if err := json.Unmarshal(get(fmt.Sprintf("/api/v1/proofs/inclusion?index=%d&tree_size=%d", index, size)), &inc); err != nil {
				fail("inclusion JSON: %v", err)
			}
			if hashes([]string{inc.RootHash})[0] != root {
				fail("inclusion JSON root for %d", index)
			}
			if err := tlog.CheckRecord(tlog.RecordProof(hashes(inc.Hashes)), size, root, index, leaf); err != nil {
				fail("JSON inclusion proof of %d: %v", index, err)
			}
			index++
		}
		if index != tile*256+int64(w) {
			fail("entry bundle %d holds the wrong number of entries", tile)
		}
	}
	if index != size {
		fail("bundles held %d entries, the checkpoint says %d", index, size)
	}

	// Consistency proofs from every earlier size.
	for old := int64(1); old < size; old++ {
		var con struct {
			Hashes []string `json:"hashes"`
		}
		if err := json.Unmarshal(get(fmt.Sprintf("/api/v1/proofs/consistency?old=%d&new=%d", old, size)), &con); err != nil {
			fail("consistency JSON: %v", err)
		}
		oldHash, err := tlog.TreeHash(old, reader)
		if err != nil {
			fail("tree hash at %d: %v", old, err)
		}
		if err := tlog.CheckTree(tlog.TreeProof(hashes(con.Hashes)), size, root, old, oldHash); err != nil {
			fail("consistency proof %d -> %d: %v", old, size, err)
		}
	}
	fmt.Printf("OK: %d entries, checkpoint, tiles, bundles and proofs verified by golang.org/x/mod/sumdb\n", size)
}
