package main

// Disputes in the inclusion inherent (INC-32, INC-33), written from docs/vectors.md
// ("Disputes in the block") and spec/inclusion_runtime.md.

import (
	"fmt"
	"math/bits"
	"sort"
)

func (b *block) sdk() bool { return b.s.Configuration.Current.Reading == "sdk" }

// outcome: DSP-5's escalation rule under dispute_rule (0 none, 1 valid, 2 invalid,
// 3 invalid without slash, 4 both).
func outcome(d DisputeState, n int, rule string) int {
	vf, va := bits.OnesCount(uint(d.VotesFor)), bits.OnesCount(uint(d.VotesAgainst))
	if rule == "sdk" {
		f := 0
		if n > 1 {
			f = (n - 1) / 3
		}
		need := n - f
		v, i := vf >= need, va >= need
		switch {
		case v && i:
			return 4
		case v:
			return 1
		case i:
			return 2
		}
		return 0
	}
	att := bits.OnesCount(uint(d.VotesFor | d.VotesAgainst))
	if 3*att <= 2*n {
		return 0
	}
	v, i := 3*vf > n, 3*va > n
	switch {
	case v && i:
		return 3
	case v:
		return 1
	case i:
		return 2
	}
	return 0
}

func (b *block) findDispute(k [3]int) int {
	for i, p := range b.s.Disputes {
		if p.K == k {
			return i
		}
	}
	return -1
}

func less3(a, c [3]int) bool {
	for i := 0; i < 3; i++ {
		if a[i] != c[i] {
			return a[i] < c[i]
		}
	}
	return false
}

// processDisputes runs the inherent's statement sets and returns the cores freed.
func (b *block) processDisputes(sets []DisputeStatementSet) []freed {
	s := b.s
	b.event("inherent:disputes")
	n := len(s.Validators)
	seen := map[[3]int]bool{}
	var triggered [][3]int
	for _, ds := range sets {
		if ds.Session < s.Session-1 || ds.Session > s.Session {
			fail("DSP-9")
		}
		k := [3]int{ds.Session, ds.Para, ds.BackedIn}
		known := false
		for _, c := range s.Disputable {
			known = known || c == k
		}
		if !known || seen[k] || ds.Valid < 0 || ds.Invalid < 0 || (ds.Valid|ds.Invalid)>>n != 0 ||
			ds.Valid|ds.Invalid == 0 || ds.Valid&ds.Invalid != 0 {
			fail("INC-32")
		}
		i := b.findDispute(k)
		if i < 0 && ds.Invalid == 0 {
			fail("INC-32")
		}
		seen[k] = true
		if i < 0 {
			s.Disputes = append(s.Disputes, Pair[[3]int, DisputeState]{k, DisputeState{Start: s.Now}})
			sort.SliceStable(s.Disputes, func(x, y int) bool { return less3(s.Disputes[x].K, s.Disputes[y].K) })
			i = b.findDispute(k)
			b.event(fmt.Sprintf("dispute_initiated:%d:%d", ds.Para, ds.BackedIn))
		}
		d := &s.Disputes[i].V
		before := bits.OnesCount(uint(d.VotesAgainst))
		d.VotesFor |= ds.Valid
		d.VotesAgainst |= ds.Invalid
		// DSP-13 (sdk): the votes against newly exceed f = (n-1)/3 (AGAINST_BYZANTINE)
		f := (n - 1) / 3
		if n < 1 {
			f = 0
		}
		if after := bits.OnesCount(uint(d.VotesAgainst)); before <= f && after > f {
			triggered = append(triggered, k)
		}
		o := outcome(*d, n, b.cfg.DisputeRule)
		if d.Outcome == 0 && o != 0 {
			now := s.Now
			d.ConcludedAt = &now
			word := "invalid"
			if o == 1 {
				word = "valid"
			}
			b.event(fmt.Sprintf("dispute_concluded:%d:%d:%s", ds.Para, ds.BackedIn, word))
		}
		d.Outcome = o
	}
	var fr []freed
	var invalid [][3]int
	for _, p := range s.Disputes {
		if p.V.Outcome >= 2 {
			invalid = append(invalid, p.K)
		}
	}
	if b.sdk() { // freeze at once on more than f against; the candidates stay where they are
		b.revert(triggered)
		return nil
	}
	for _, k := range invalid {
		if pe, ok := s.Inclusion.Pending.Get(k[1]); ok && pe.BackedIn == k[2] {
			s.Inclusion.Pending.Del(k[1])
			fr = append(fr, freed{pe.Core, false})
			b.event(fmt.Sprintf("dispute_freed:%d", k[1]))
		}
	}
	sort.SliceStable(fr, func(x, y int) bool { return fr[x].core < fr[y].core })
	return fr
}

// revert to the block before the earliest backing among keys (again only to an earlier point).
func (b *block) revert(keys [][3]int) {
	if len(keys) == 0 {
		return
	}
	point := keys[0][2]
	for _, k := range keys {
		if k[2] < point {
			point = k[2]
		}
	}
	point--
	if b.s.Frozen != nil && *b.s.Frozen <= point {
		return
	}
	b.s.Frozen = &point
	b.event(fmt.Sprintf("revert:%d", point))
}

// closeWindows (reading seed, at the Validity module's initialization): a dispute concluded
// invalid in an earlier block reverts the chain.
func (b *block) closeWindows() {
	if b.sdk() {
		return
	}
	var closed [][3]int
	for _, p := range b.s.Disputes {
		if p.V.Outcome >= 2 && *p.V.ConcludedAt < b.s.Now {
			closed = append(closed, p.K)
		}
	}
	b.revert(closed)
}

func (b *block) noteBacked(paras []int) {
	for _, p := range paras {
		b.s.Disputable = append(b.s.Disputable, [3]int{b.s.Session, p, b.s.Now})
	}
	sort.SliceStable(b.s.Disputable, func(x, y int) bool { return less3(b.s.Disputable[x], b.s.Disputable[y]) })
}

func (b *block) pruneDisputes() {
	low := b.s.Session - 1
	keep := [][3]int{}
	for _, k := range b.s.Disputable {
		if k[0] >= low {
			keep = append(keep, k)
		}
	}
	b.s.Disputable = keep
	kd := []Pair[[3]int, DisputeState]{}
	for _, p := range b.s.Disputes {
		if p.K[0] >= low {
			kd = append(kd, p)
		}
	}
	b.s.Disputes = kd
}
