// Command adapter is a second, independent implementation of the paraspec runtime suite
// (handler runtime/relay_block) in Go, standard library only. It speaks the adapter
// protocol of docs/vectors.md: one JSON request per line on stdin, one response per line
// on stdout. Every other handler is answered "unsupported".
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

type request struct {
	ID       string          `json:"id"`
	Handler  string          `json:"handler"`
	Config   json.RawMessage `json:"config"`
	PreState json.RawMessage `json:"pre_state"`
	Input    struct {
		Action string          `json:"action"`
		Args   json.RawMessage `json:"args"`
	} `json:"input"`
}

func answer(line []byte) (out map[string]any) {
	var req request
	defer func() { // a bug of this adapter is one error line, not a crash
		if r := recover(); r != nil {
			out = map[string]any{"id": req.ID, "error": fmt.Sprint("adapter bug: ", r)}
		}
	}()
	if err := json.Unmarshal(line, &req); err != nil {
		return map[string]any{"error": "bad request: " + err.Error()}
	}
	out = map[string]any{"id": req.ID}
	if req.Handler != "runtime/relay_block" || req.Input.Action != "RelayBlock" {
		out["unsupported"] = "this adapter implements runtime/relay_block only"
		return out
	}
	var pre RuntimeState
	var blk RelayBlock
	if err := json.Unmarshal(req.PreState, &pre); err != nil {
		out["error"] = "pre_state: " + err.Error()
		return out
	}
	if err := json.Unmarshal(req.Input.Args, &blk); err != nil {
		out["error"] = "input.args: " + err.Error()
		return out
	}
	post := clone(pre)
	if err := applyBlock(&post, blk); err != nil {
		out["output"] = map[string]any{"err": err.Error()}
		out["post_state"] = pre
		return out
	}
	out["output"] = map[string]any{"ok": nil}
	out["post_state"] = post
	return out
}

// clone deep-copies a state through its JSON form (the adapter's work is per case, small).
func clone(s RuntimeState) RuntimeState {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	var c RuntimeState
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return c
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<30)
	w := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		resp := answer(in.Bytes())
		b, err := json.Marshal(resp)
		if err != nil {
			b, _ = json.Marshal(map[string]any{"error": err.Error()})
		}
		w.Write(b)
		w.WriteByte('\n')
		w.Flush()
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "adapter:", err)
		os.Exit(1)
	}
}
