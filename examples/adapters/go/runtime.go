package main

// The runtime/relay_block handler: one relay-chain block through the composed runtime,
// written from spec/runtime.md, initializer.md, configuration.md, paras.md, scheduler.md,
// inclusion_runtime.md, availability.md and thresholds.md.

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"sort"
	"strconv"
)

// reject is a rule that makes the whole block invalid.
type reject struct{ rule string }

func (r reject) Error() string { return r.rule }

func fail(rule string) { panic(reject{rule}) }

type freed struct {
	core     int
	timedOut bool
}

type block struct {
	s   *RuntimeState
	cfg *HostConfiguration
}

func (b *block) event(e string) { b.s.Events = append(b.s.Events, e) }

// applyBlock runs RT-1's phases on s (a private copy) or returns the rule that rejects the block.
func applyBlock(s *RuntimeState, in RelayBlock) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if rj, ok := r.(reject); ok {
				err = rj
				return
			}
			panic(r)
		}
	}()
	b := &block{s: s}
	if s.Frozen != nil && s.Configuration.Current.Reading != "sdk" {
		fail("DSP-7") // seed: no block builds on a reverted chain
	}
	s.Events = []string{}
	s.Notification = nil
	s.Now++
	if in.SessionChange != nil && !in.SessionChangeAfterInit {
		b.sessionChange(*in.SessionChange)
	}
	b.cfg = &s.Configuration.Current
	b.initialize()
	if in.SessionChange != nil && in.SessionChangeAfterInit {
		fail("INI-3")
	}
	for _, inh := range in.Inherents {
		if s.Included {
			fail("INC-29")
		}
		b.inherent(inh)
	}
	for _, c := range in.Calls {
		b.call(c)
	}
	if !s.Included {
		fail("INC-29")
	}
	b.finalize()
	return nil
}

// ---- session change (INI-3, INI-5, CFG-5, PAR-1/2, SCH-6, INC-28)

func (b *block) sessionChange(sc SessionChange) {
	s := b.s
	if len(sc.Validators) == 0 {
		fail("INI-5")
	}
	prev := s.Configuration.Current
	// CFG-5: the configuration pending for the new session comes into force; later ones stay
	later := []Pair[int, HostConfiguration]{}
	for _, e := range s.Configuration.Pending {
		if e.K <= s.Session+1 {
			s.Configuration.Current = e.V
		} else {
			later = append(later, e)
		}
	}
	s.Configuration.Pending = later
	b.event("session_change:configuration")
	s.Session++
	s.Validators = append([]int{}, sc.Validators...)
	s.Queued = append([]int{}, sc.Queued...)
	s.RandomSeed = sc.RandomSeed
	b.cfg = &s.Configuration.Current
	b.parasSessionChange()
	b.event("session_change:paras")
	b.schedulerSessionChange(prev)
	b.event("session_change:scheduler")
	s.Inclusion.Pending = IntMap[CandidatePendingAvailability]{}
	b.event("session_change:inclusion")
	b.pruneDisputes()
	b.event("session_change:validity")
	s.Notification = &SessionChangeNotification{
		Validators: append([]int{}, sc.Validators...), Queued: append([]int{}, sc.Queued...),
		PrevConfig: prev, NewConfig: s.Configuration.Current, RandomSeed: sc.RandomSeed,
	}
}

func (b *block) parasSessionChange() {
	p := &b.s.Paras
	now := b.s.Now
	// PAR-10: only the paras queued for the new session take effect
	due := map[int]bool{}
	queue := [][2]int{}
	for _, e := range p.ActionsQueue {
		if e[0] == b.s.Session {
			due[e[1]] = true
		} else {
			queue = append(queue, e)
		}
	}
	p.ActionsQueue = queue
	outgoing := []int{}
	for _, para := range p.Outgoing {
		if !due[para] {
			outgoing = append(outgoing, para)
			continue
		}
		if code, ok := p.Code.Get(para); ok {
			b.notePastCode(para, now, now, code)
		}
		p.Heads.Del(para)
		p.Code.Del(para)
		p.FutureCode.Del(para)
		p.FutureCodeUpgrades.Del(para)
		p.Parachains = without(p.Parachains, para)
		p.Parathreads = without(p.Parathreads, para)
	}
	p.Outgoing = outgoing
	upcoming := IntMap[ParaGenesisArgs]{}
	for _, u := range p.Upcoming {
		if !due[u.K] {
			upcoming.Set(u.K, u.V)
			continue
		}
		p.Heads.Set(u.K, u.V.Head)
		p.Code.Set(u.K, u.V.Code)
		if u.V.Parachain {
			p.Parachains = insertSorted(p.Parachains, u.K)
		} else {
			p.Parathreads = insertSorted(p.Parathreads, u.K)
		}
	}
	p.Upcoming = upcoming
}

// schedulePending keeps a setter's configuration pending for the next session, or under
// reading=sdk the one after (SESSION_DELAY, CFG-7, decision CFG-D1): it replaces the one pending
// for that session (the setters of a session merge), else it is appended.
func (b *block) schedulePending(cfg HostConfiguration) {
	c := &b.s.Configuration
	at := b.s.Session + 1
	if c.Current.Reading == "sdk" {
		at = b.s.Session + 2
	}
	for i := range c.Pending {
		if c.Pending[i].K >= at {
			c.Pending[i].V = cfg
			return
		}
	}
	c.Pending = append(c.Pending, Pair[int, HostConfiguration]{at, cfg})
}

// queueAction notes a registration or cleanup for the session it takes effect at (PAR-10):
// the next one, or under reading=sdk the one after (SESSION_DELAY, decision PAR-D8).
func (b *block) queueAction(para int) {
	p := &b.s.Paras
	delay := 1
	if b.cfg.Reading == "sdk" {
		delay = 2
	}
	e := [2]int{b.s.Session + delay, para}
	i := sort.Search(len(p.ActionsQueue), func(i int) bool {
		q := p.ActionsQueue[i]
		return q[0] > e[0] || (q[0] == e[0] && q[1] >= e[1])
	})
	p.ActionsQueue = append(p.ActionsQueue, [2]int{})
	copy(p.ActionsQueue[i+1:], p.ActionsQueue[i:])
	p.ActionsQueue[i] = e
}

func (b *block) notePastCode(para, expectedAt, activatedAt, code int) {
	p := &b.s.Paras
	p.PastCode = append(p.PastCode, Pair[[2]int, int]{[2]int{para, expectedAt}, code})
	sort.SliceStable(p.PastCode, func(i, j int) bool {
		a, c := p.PastCode[i].K, p.PastCode[j].K
		return a[0] < c[0] || (a[0] == c[0] && a[1] < c[1])
	})
	meta, ok := p.PastCodeMeta.Get(para)
	if !ok {
		meta = PastCodeMeta{UpgradeTimes: []ReplacementTimes{}}
	}
	meta.UpgradeTimes = append(append([]ReplacementTimes{}, meta.UpgradeTimes...), ReplacementTimes{expectedAt, activatedAt})
	p.PastCodeMeta.Set(para, meta)
	p.PastCodePruning = append(p.PastCodePruning, [2]int{para, activatedAt})
	p.Replacements = append(p.Replacements, CodeReplacement{para, expectedAt, activatedAt, code})
}

// compute_shuffle (SCH-D6): Fisher-Yates from the last position down with an 8-byte BLAKE2b.
func shuffle(n, seed int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	for i := n - 1; i > 0; i-- {
		d := blake2b([]byte(strconv.Itoa(seed)+":"+strconv.Itoa(i)), 8)
		w := binary.LittleEndian.Uint64(d)
		j := int(w % uint64(i+1))
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func (b *block) nCores() int { return len(b.s.Paras.Parachains) + b.cfg.ParathreadCores }

func (b *block) schedulerSessionChange(prev HostConfiguration) {
	s := b.s
	sch := &s.Scheduler
	sch.SessionStart = s.Now
	// occupied cores freed; their parathread claims go back to the queue, retries unchanged (SCH-D7)
	for _, occ := range sch.Cores {
		if occ != nil && occ.Entry != nil {
			b.enqueue(*occ.Entry, prev.ParathreadCores)
		}
	}
	n := b.nCores()
	sch.Cores = make([]*CoreOccupied, n)
	order := shuffle(len(s.Validators), s.RandomSeed)
	sch.Groups = partition(order, n)
	live := map[int]bool{}
	for _, p := range s.Paras.Parathreads {
		live[p] = true
	}
	q := []QueuedParathread{}
	for _, e := range sch.Queue {
		if e.Entry.Retries <= b.cfg.ParathreadRetries && live[e.Entry.Claim.Para] {
			q = append(q, e)
		} else {
			sch.ClaimIndex = without(sch.ClaimIndex, e.Entry.Claim.Para)
		}
	}
	sch.Queue = q
	ptc := b.cfg.ParathreadCores
	if ptc == 0 {
		sch.Queue = []QueuedParathread{}
		sch.ClaimIndex = []int{}
		sch.NextCoreOffset = 0
	} else if ptc != prev.ParathreadCores {
		for i := range sch.Queue {
			sch.Queue[i].CoreOffset = i % ptc
		}
		sch.NextCoreOffset = len(sch.Queue) % ptc
	}
	sch.Scheduled = []CoreAssignment{}
}

func (b *block) enqueue(e ParathreadEntry, ptc int) {
	sch := &b.s.Scheduler
	if ptc <= 0 {
		ptc = 1
	}
	sch.Queue = append(sch.Queue, QueuedParathread{e, sch.NextCoreOffset})
	sch.NextCoreOffset = (sch.NextCoreOffset + 1) % ptc
}

// partition (SCH-3): the first V mod N groups have V div N + 1 members.
func partition(order []int, n int) [][]int {
	groups := make([][]int, n)
	if n == 0 {
		return groups
	}
	v := len(order)
	pos := 0
	for g := 0; g < n; g++ {
		size := v / n
		if g < v%n {
			size++
		}
		groups[g] = append([]int{}, order[pos:pos+size]...)
		pos += size
	}
	return groups
}

// ---- initialization (INI-1, PAR-7)

func (b *block) initialize() {
	b.event("initialize:configuration")
	b.prune()
	b.event("initialize:paras")
	b.event("initialize:scheduler")
	b.event("initialize:inclusion")
	b.closeWindows()
	b.event("initialize:validity")
	b.s.HasInitialized = true
}

func (b *block) prune() {
	p := &b.s.Paras
	keep := [][2]int{}
	for _, e := range p.PastCodePruning {
		para, at := e[0], e[1]
		if at+b.cfg.AcceptancePeriod >= b.s.Now {
			keep = append(keep, e)
			continue
		}
		meta, _ := p.PastCodeMeta.Get(para)
		times := []ReplacementTimes{}
		for _, t := range meta.UpgradeTimes {
			if t.ActivatedAt == at {
				ea := t.ExpectedAt
				if b.cfg.Reading == "sdk" { // PAR-7, decision PAR-D7: sdk records the activation
					ea = t.ActivatedAt
				}
				meta.LastPruned = &ea
				pc := p.PastCode[:0]
				for _, x := range p.PastCode {
					if x.K != [2]int{para, t.ExpectedAt} {
						pc = append(pc, x)
					}
				}
				p.PastCode = pc
			} else {
				times = append(times, t)
			}
		}
		meta.UpgradeTimes = times
		p.PastCodeMeta.Set(para, meta)
	}
	p.PastCodePruning = keep
}

// ---- the inclusion inherent (INC-30)

func (b *block) inherent(inh InclusionInherent) {
	s := b.s
	var fr []freed
	if len(inh.Disputes) > 0 {
		fr = b.processDisputes(inh.Disputes)
	}
	if s.Frozen != nil && b.sdk() { // a frozen chain's inherent carries disputes only
		b.schedule(nil) // the scheduler's initialization still schedules the free cores
		s.Included = true
		b.event("inherent:included")
		return
	}
	fr = append(fr, b.processBitfields(inh.Bitfields)...)
	if b.timeoutActive() {
		b.event("inherent:collect_pending")
		for c := 0; c < b.nCores(); c++ { // in core order
			para, ok := b.pendingOnCore(c)
			if !ok {
				continue
			}
			pe, _ := s.Inclusion.Pending.Get(para)
			if b.timedOut(c, pe.BackedIn) {
				s.Inclusion.Pending.Del(para)
				fr = append(fr, freed{c, true})
				b.event(fmt.Sprintf("timed_out:%d", para))
			}
		}
	}
	b.schedule(fr)
	b.event("inherent:schedule")
	occupied := b.processCandidates(inh.Backed)
	b.event("inherent:candidates")
	var paras []int
	for _, bc := range inh.Backed {
		paras = append(paras, bc.Para)
	}
	b.noteBacked(paras)
	b.occupied(occupied)
	b.event("inherent:occupied")
	s.Included = true
	b.event("inherent:included")
}

func (b *block) corePara(c int) (int, bool) {
	for _, a := range b.s.Scheduler.Scheduled {
		if a.Core == c {
			return a.Para, true
		}
	}
	if c < len(b.s.Scheduler.Cores) && b.s.Scheduler.Cores[c] != nil {
		return b.s.Scheduler.Cores[c].Para, true
	}
	return 0, false
}

func (b *block) pendingOnCore(c int) (int, bool) {
	para, ok := b.corePara(c)
	if !ok {
		return 0, false
	}
	pe, ok := b.s.Inclusion.Pending.Get(para)
	if !ok || pe.Core != c {
		return 0, false
	}
	return para, true
}

func (b *block) processBitfields(bfs []SignBitfield) []freed {
	s := b.s
	n := b.nCores()
	sdk := b.cfg.Reading == "sdk"
	last := -1
	for _, bf := range bfs {
		rule := ""
		switch {
		case bf.Validator < 0 || bf.Validator >= len(s.Validators):
			rule = "AV-1"
		case bf.Length != n || bf.Bits < 0 || (n < 62 && bf.Bits>>uint(n) != 0):
			rule = "AV-2"
		case bf.Validator <= last:
			rule = "AV-3"
		case bf.Signer != bf.Validator:
			rule = "AV-4"
		}
		if rule != "" {
			if sdk {
				continue
			}
			fail(rule)
		}
		last = bf.Validator
		counted := bf.Bits
		for c := 0; c < n; c++ {
			if bf.Bits&(1<<uint(c)) == 0 {
				continue
			}
			if _, ok := b.pendingOnCore(c); !ok {
				switch b.cfg.FreeCoreBit {
				case "reject":
					fail("AV-5")
				case "bit":
					counted &^= 1 << uint(c)
				default:
					counted = 0
				}
			}
		}
		for c := 0; c < n && counted != 0; c++ {
			if counted&(1<<uint(c)) == 0 {
				continue
			}
			para, _ := b.pendingOnCore(c)
			pe, _ := s.Inclusion.Pending.Get(para)
			pe.Votes |= 1 << uint(bf.Validator)
			s.Inclusion.Pending.Set(para, pe)
		}
	}
	b.event("inherent:bitfields")
	// enactment in core order (INC-21, INC-22)
	var fr []freed
	nv := len(s.Validators)
	for c := 0; c < n; c++ {
		para, ok := b.pendingOnCore(c)
		if !ok {
			continue
		}
		pe, _ := s.Inclusion.Pending.Get(para)
		if 3*bits.OnesCount(uint(pe.Votes)) > 2*nv {
			s.Inclusion.Pending.Del(para)
			if pe.NewCode != nil {
				// the delay counts from the relay parent, or under reading=sdk from this
				// (the enacting) block (INC-22, decision INC-D28)
				from := pe.RelayParent
				if sdk {
					from = s.Now
				}
				b.scheduleCodeUpgrade(para, *pe.NewCode, from+b.cfg.ValidationUpgradeDelay)
			}
			b.noteNewHead(para, pe.Head, pe.RelayParent)
			fr = append(fr, freed{c, false})
			b.event(fmt.Sprintf("enacted:%d", para))
		}
	}
	return fr
}

func (b *block) scheduleCodeUpgrade(para, code, expectedAt int) {
	p := &b.s.Paras
	cur, live := p.Code.Get(para)
	if !live {
		return
	}
	if _, ok := p.FutureCodeUpgrades.Get(para); ok || cur == code {
		return
	}
	p.FutureCode.Set(para, code)
	p.FutureCodeUpgrades.Set(para, expectedAt)
}

func (b *block) noteNewHead(para, head, relayParent int) {
	p := &b.s.Paras
	p.Heads.Set(para, head)
	at, ok := p.FutureCodeUpgrades.Get(para)
	if !ok || at > relayParent {
		return
	}
	old, _ := p.Code.Get(para)
	fc, _ := p.FutureCode.Get(para)
	b.notePastCode(para, at, b.s.Now, old)
	p.Code.Set(para, fc)
	p.FutureCode.Del(para)
	p.FutureCodeUpgrades.Del(para)
}

// ---- the Scheduler's routines (SCH-4, SCH-9, SCH-11)

func (b *block) rotations() int {
	if b.cfg.GroupRotationFrequency <= 0 {
		return 0
	}
	return (b.s.Now - b.s.Scheduler.SessionStart) / b.cfg.GroupRotationFrequency
}

func (b *block) groupOfCore(c int) int {
	n := b.nCores()
	return (c + b.rotations()) % n
}

// sinceRotation: the place in the rotation of the block that decides whether timeouts apply:
// the block itself (SCH-11), or under reading=sdk the next block (SCH-14, decision SCH-D9).
func (b *block) sinceRotation() int {
	at := b.s.Now
	if b.cfg.Reading == "sdk" {
		at++
	}
	since := at - b.s.Scheduler.SessionStart
	if since < 0 {
		since = 0
	}
	if b.cfg.GroupRotationFrequency <= 0 {
		return since
	}
	return since % b.cfg.GroupRotationFrequency
}

func (b *block) timeoutActive() bool {
	m := b.cfg.ChainAvailabilityPeriod
	if b.cfg.ThreadAvailabilityPeriod > m {
		m = b.cfg.ThreadAvailabilityPeriod
	}
	return b.sinceRotation() < m
}

func (b *block) timedOut(core, backedIn int) bool {
	period := b.cfg.ChainAvailabilityPeriod
	if core >= len(b.s.Paras.Parachains) {
		period = b.cfg.ThreadAvailabilityPeriod
	}
	return b.s.Now-backedIn >= period && b.sinceRotation() < period
}

func (b *block) schedule(fr []freed) {
	sch := &b.s.Scheduler
	for _, f := range fr {
		occ := sch.Cores[f.core]
		if occ != nil && occ.Entry != nil {
			if f.timedOut {
				sch.Queue = append(sch.Queue, QueuedParathread{*occ.Entry, f.core - len(b.s.Paras.Parachains)})
			} else {
				sch.ClaimIndex = without(sch.ClaimIndex, occ.Entry.Claim.Para)
			}
		}
		sch.Cores[f.core] = nil
	}
	np := len(b.s.Paras.Parachains)
	for c := 0; c < len(sch.Cores); c++ {
		if sch.Cores[c] != nil || b.isScheduled(c) {
			continue
		}
		if c < np {
			sch.Scheduled = append(sch.Scheduled, CoreAssignment{c, b.s.Paras.Parachains[c], b.groupOfCore(c), nil})
			continue
		}
		for i, q := range sch.Queue {
			if q.CoreOffset == c-np {
				e := q.Entry
				sch.Queue = append(append([]QueuedParathread{}, sch.Queue[:i]...), sch.Queue[i+1:]...)
				sch.Scheduled = append(sch.Scheduled, CoreAssignment{c, e.Claim.Para, b.groupOfCore(c), &e})
				break
			}
		}
	}
	sort.SliceStable(sch.Scheduled, func(i, j int) bool { return sch.Scheduled[i].Core < sch.Scheduled[j].Core })
}

func (b *block) isScheduled(c int) bool {
	for _, a := range b.s.Scheduler.Scheduled {
		if a.Core == c {
			return true
		}
	}
	return false
}

func (b *block) occupied(cores []int) {
	sch := &b.s.Scheduler
	for i, c := range cores {
		if i > 0 && cores[i-1] >= c {
			fail("SCH-9")
		}
		found := -1
		for j, a := range sch.Scheduled {
			if a.Core == c {
				found = j
			}
		}
		if found < 0 {
			fail("SCH-9")
		}
		a := sch.Scheduled[found]
		sch.Cores[c] = &CoreOccupied{a.Para, a.Entry}
		sch.Scheduled = append(append([]CoreAssignment{}, sch.Scheduled[:found]...), sch.Scheduled[found+1:]...)
	}
}

// ---- process_candidates (INC-23 .. INC-26, TH-4)

func (b *block) backable(votes, group int) bool {
	switch b.cfg.BackingThreshold {
	case "two_thirds":
		return group > 0 && 3*votes >= 2*group
	case "sdk":
		m := b.cfg.MinimumBackingVotes
		if group < m {
			m = group
		}
		return votes >= m
	default:
		return 2*votes > group
	}
}

func (b *block) processCandidates(backed []BackedCandidate) []int {
	s := b.s
	lastPara := -1
	var cores []int
	for _, bc := range backed {
		var asg *CoreAssignment
		for i := range s.Scheduler.Scheduled {
			if s.Scheduler.Scheduled[i].Para == bc.Para {
				asg = &s.Scheduler.Scheduled[i]
			}
		}
		if asg == nil || bc.Para <= lastPara {
			fail("INC-23")
		}
		lastPara = bc.Para
		if _, ok := s.Inclusion.Pending.Get(bc.Para); ok {
			fail("INC-6")
		}
		relayParent := s.Now - 1
		if bc.NewCode != nil {
			if _, ok := s.Paras.FutureCodeUpgrades.Get(bc.Para); ok {
				fail("INC-24")
			}
			if last, ok := b.lastUpgrade(bc.Para); ok {
				if relayParent < last || relayParent-last < b.cfg.ValidationUpgradeFrequency {
					fail("INC-24")
				}
			}
		}
		// INC-25's checks in the order the rule lists them: signatures, order, group, threshold
		if asg.Group < 0 || asg.Group >= len(s.Scheduler.Groups) {
			fail("INC-25")
		}
		group := s.Scheduler.Groups[asg.Group]
		if bc.Signers != nil && len(bc.Signers) != len(bc.Backers) {
			fail("INC-25")
		}
		for i, v := range bc.Backers {
			if bc.Signers != nil && bc.Signers[i] != v {
				fail("INC-25")
			}
		}
		for i := 1; i < len(bc.Backers); i++ {
			if bc.Backers[i-1] >= bc.Backers[i] {
				fail("INC-25")
			}
		}
		for _, v := range bc.Backers {
			if !contains(group, v) {
				fail("INC-3")
			}
		}
		if !b.backable(len(bc.Backers), len(group)) {
			fail("INC-4")
		}
		s.Inclusion.Pending.Set(bc.Para, CandidatePendingAvailability{
			Core: asg.Core, Para: bc.Para, Head: bc.Head, NewCode: bc.NewCode, Votes: 0,
			RelayParent: relayParent, BackedIn: s.Now,
		})
		cores = append(cores, asg.Core)
	}
	sort.Ints(cores)
	return cores
}

func (b *block) lastUpgrade(para int) (int, bool) {
	meta, ok := b.s.Paras.PastCodeMeta.Get(para)
	if !ok {
		return 0, false
	}
	if n := len(meta.UpgradeTimes); n > 0 {
		return meta.UpgradeTimes[n-1].ExpectedAt, true
	}
	if meta.LastPruned != nil {
		return *meta.LastPruned, true
	}
	return 0, false
}

// ---- extrinsics (RT-3)

var setters = map[string]func(c *HostConfiguration, v int){
	"parathread_cores":             func(c *HostConfiguration, v int) { c.ParathreadCores = v },
	"chain_availability_period":    func(c *HostConfiguration, v int) { c.ChainAvailabilityPeriod = v },
	"thread_availability_period":   func(c *HostConfiguration, v int) { c.ThreadAvailabilityPeriod = v },
	"group_rotation_frequency":     func(c *HostConfiguration, v int) { c.GroupRotationFrequency = v },
	"session_length":               func(c *HostConfiguration, v int) { c.SessionLength = v },
	"scheduling_lookahead":         func(c *HostConfiguration, v int) { c.SchedulingLookahead = v },
	"parathread_retries":           func(c *HostConfiguration, v int) { c.ParathreadRetries = v },
	"validation_upgrade_frequency": func(c *HostConfiguration, v int) { c.ValidationUpgradeFrequency = v },
	"validation_upgrade_delay":     func(c *HostConfiguration, v int) { c.ValidationUpgradeDelay = v },
	"acceptance_period":            func(c *HostConfiguration, v int) { c.AcceptancePeriod = v },
	"max_code_size":                func(c *HostConfiguration, v int) { c.MaxCodeSize = v },
	"max_head_data_size":           func(c *HostConfiguration, v int) { c.MaxHeadDataSize = v },
	"max_pov_size":                 func(c *HostConfiguration, v int) { c.MaxPovSize = v },
	"minimum_backing_votes":        func(c *HostConfiguration, v int) { c.MinimumBackingVotes = v },
}

// consistent is CFG-1's check.
func consistent(c *HostConfiguration) bool {
	positive := []int{c.NValidators, c.NParachains, c.ChainAvailabilityPeriod, c.ThreadAvailabilityPeriod,
		c.GroupRotationFrequency, c.SessionLength, c.SchedulingLookahead, c.MinimumBackingVotes}
	for _, v := range positive {
		if v <= 0 {
			return false
		}
	}
	for _, v := range []int{c.ParathreadCores, c.ParathreadRetries, c.ValidationUpgradeFrequency, c.AcceptancePeriod,
		c.MaxCodeSize, c.MaxHeadDataSize, c.MaxPovSize} {
		if v < 0 {
			return false
		}
	}
	if c.ValidationUpgradeDelay <= 1 || c.NValidators < c.NParachains+c.ParathreadCores {
		return false
	}
	switch c.BackingThreshold {
	case "majority", "two_thirds", "sdk":
	default:
		return false
	}
	return true
}

func (b *block) call(c Call) {
	kind := c.Kind()
	if rule := b.dispatch(kind, c); rule != "" {
		b.event("call_failed:" + kind + ":" + rule)
	} else {
		b.event("call:" + kind)
	}
}

func (b *block) dispatch(kind string, c Call) string {
	s := b.s
	p := &s.Paras
	root := c.Origin != nil && *c.Origin == "root"
	switch kind {
	case "SetConfiguration":
		if !root {
			return "CFG-3"
		}
		set, ok := setters[*c.Member]
		if !ok {
			return "CFG-2"
		}
		base := s.Configuration.Current
		if n := len(s.Configuration.Pending); n > 0 {
			base = s.Configuration.Pending[n-1].V
		}
		set(&base, *c.Value)
		if !consistent(&base) {
			return "CFG-1"
		}
		b.schedulePending(base)
	case "RegisterPara":
		if _, up := p.Upcoming.Get(*c.Para); !root || *c.Para < 0 || up || contains(p.Parachains, *c.Para) || contains(p.Parathreads, *c.Para) {
			return "PAR-1"
		}
		p.Upcoming.Set(*c.Para, ParaGenesisArgs{*c.Head, *c.Code, *c.Parachain})
		b.queueAction(*c.Para)
	case "DeregisterPara":
		live := contains(p.Parachains, *c.Para) || contains(p.Parathreads, *c.Para)
		if _, up := p.Upcoming.Get(*c.Para); root && !live && !up && b.cfg.Reading == "sdk" {
			return "" // a para with no lifecycle: nothing to do (PAR-2, decision PAR-D9)
		}
		if !root || !live || contains(p.Outgoing, *c.Para) {
			return "PAR-2"
		}
		p.Outgoing = insertSorted(p.Outgoing, *c.Para)
		b.queueAction(*c.Para)
	case "AddParathreadClaim":
		sch := &s.Scheduler
		ptc := b.cfg.ParathreadCores
		if !contains(p.Parathreads, *c.Para) || contains(sch.ClaimIndex, *c.Para) {
			return "SCH-7"
		}
		if len(sch.Queue) >= b.cfg.SchedulingLookahead*ptc {
			return "SCH-8"
		}
		b.enqueue(ParathreadEntry{ParathreadClaim{*c.Para, *c.Collator}, 0}, ptc)
		sch.ClaimIndex = insertSorted(sch.ClaimIndex, *c.Para)
	}
	return ""
}

// ---- finalization (INI-4, SCH-10)

func (b *block) finalize() {
	s := b.s
	b.event("finalize:inclusion_inherent")
	b.event("finalize:validity")
	b.event("finalize:inclusion")
	sch := &s.Scheduler
	for _, a := range sch.Scheduled {
		if a.Entry == nil {
			continue
		}
		e := *a.Entry
		e.Retries++
		if e.Retries > b.cfg.ParathreadRetries {
			sch.ClaimIndex = without(sch.ClaimIndex, e.Claim.Para)
			continue
		}
		sch.Queue = append(sch.Queue, QueuedParathread{e, a.Core - len(s.Paras.Parachains)})
	}
	sch.Scheduled = []CoreAssignment{}
	b.event("finalize:scheduler")
	b.event("finalize:paras")
	b.event("finalize:configuration")
	s.HasInitialized = false
	s.Included = false
}

// ---- helpers

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func without(xs []int, x int) []int {
	out := []int{}
	for _, y := range xs {
		if y != x {
			out = append(out, y)
		}
	}
	return out
}

func insertSorted(xs []int, x int) []int {
	if contains(xs, x) {
		return xs
	}
	out := append(append([]int{}, xs...), x)
	sort.Ints(out)
	return out
}
