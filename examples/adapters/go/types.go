package main

// The runtime suite's state and input, typed after the case schema
// (schemas/runtime.relay_block.schema.json). A dict keyed by integers is a JSON array of
// [key, value] pairs sorted by key (docs/vectors.md, "Encoding of values"): Pair does that.

import (
	"encoding/json"
	"fmt"
	"sort"
)

type Pair[K any, V any] struct {
	K K
	V V
}

func (p Pair[K, V]) MarshalJSON() ([]byte, error) { return json.Marshal([2]any{p.K, p.V}) }

func (p *Pair[K, V]) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) != 2 {
		return fmt.Errorf("a pair needs two elements, got %d", len(raw))
	}
	if err := json.Unmarshal(raw[0], &p.K); err != nil {
		return err
	}
	return json.Unmarshal(raw[1], &p.V)
}

// IntMap is a dict[int, V]: pairs kept sorted by key.
type IntMap[V any] []Pair[int, V]

func (m IntMap[V]) Get(k int) (V, bool) {
	for _, p := range m {
		if p.K == k {
			return p.V, true
		}
	}
	var zero V
	return zero, false
}

func (m *IntMap[V]) Set(k int, v V) {
	for i := range *m {
		if (*m)[i].K == k {
			(*m)[i].V = v
			return
		}
	}
	*m = append(*m, Pair[int, V]{k, v})
	sort.SliceStable(*m, func(i, j int) bool { return (*m)[i].K < (*m)[j].K })
}

func (m *IntMap[V]) Del(k int) {
	out := (*m)[:0]
	for _, p := range *m {
		if p.K != k {
			out = append(out, p)
		}
	}
	*m = out
}

type HostConfiguration struct {
	Name                       string `json:"name"`
	Reading                    string `json:"reading"`
	NValidators                int    `json:"n_validators"`
	NParachains                int    `json:"n_parachains"`
	ParathreadCores            int    `json:"parathread_cores"`
	ChainAvailabilityPeriod    int    `json:"chain_availability_period"`
	ThreadAvailabilityPeriod   int    `json:"thread_availability_period"`
	GroupRotationFrequency     int    `json:"group_rotation_frequency"`
	SessionLength              int    `json:"session_length"`
	SchedulingLookahead        int    `json:"scheduling_lookahead"`
	ParathreadRetries          int    `json:"parathread_retries"`
	ValidationUpgradeFrequency int    `json:"validation_upgrade_frequency"`
	ValidationUpgradeDelay     int    `json:"validation_upgrade_delay"`
	AcceptancePeriod           int    `json:"acceptance_period"`
	MaxCodeSize                int    `json:"max_code_size"`
	MaxHeadDataSize            int    `json:"max_head_data_size"`
	MaxPovSize                 int    `json:"max_pov_size"`
	BackingThreshold           string `json:"backing_threshold"`
	MinimumBackingVotes        int    `json:"minimum_backing_votes"`
	FreeCoreBit                string `json:"free_core_bit"`
	MaxCandidates              int    `json:"max_candidates"`
	DisputeRule                string `json:"dispute_rule"`
}

// ConfigurationState: ActiveConfig and PendingConfigs, [session, configuration] pairs ascending
// by session (CFG-5, CFG-7).
type ConfigurationState struct {
	Current HostConfiguration              `json:"current"`
	Pending []Pair[int, HostConfiguration] `json:"pending"`
}

type ReplacementTimes struct {
	ExpectedAt  int `json:"expected_at"`
	ActivatedAt int `json:"activated_at"`
}

type PastCodeMeta struct {
	UpgradeTimes []ReplacementTimes `json:"upgrade_times"`
	LastPruned   *int               `json:"last_pruned"`
}

type ParaGenesisArgs struct {
	Head      int  `json:"head"`
	Code      int  `json:"code"`
	Parachain bool `json:"parachain"`
}

type CodeReplacement struct {
	Para        int `json:"para"`
	ExpectedAt  int `json:"expected_at"`
	ActivatedAt int `json:"activated_at"`
	OldCode     int `json:"old_code"`
}

type ParasState struct {
	Parachains         []int                   `json:"parachains"`
	Parathreads        []int                   `json:"parathreads"`
	Heads              IntMap[int]             `json:"heads"`
	Code               IntMap[int]             `json:"code"`
	PastCode           []Pair[[2]int, int]     `json:"past_code"`
	PastCodeMeta       IntMap[PastCodeMeta]    `json:"past_code_meta"`
	PastCodePruning    [][2]int                `json:"past_code_pruning"`
	FutureCodeUpgrades IntMap[int]             `json:"future_code_upgrades"`
	FutureCode         IntMap[int]             `json:"future_code"`
	Upcoming           IntMap[ParaGenesisArgs] `json:"upcoming"`
	Outgoing           []int                   `json:"outgoing"`
	ActionsQueue       [][2]int                `json:"actions_queue"`
	Replacements       []CodeReplacement       `json:"replacements"`
}

type ParathreadClaim struct {
	Para     int `json:"para"`
	Collator int `json:"collator"`
}

type ParathreadEntry struct {
	Claim   ParathreadClaim `json:"claim"`
	Retries int             `json:"retries"`
}

type QueuedParathread struct {
	Entry      ParathreadEntry `json:"entry"`
	CoreOffset int             `json:"core_offset"`
}

type CoreOccupied struct {
	Para  int              `json:"para"`
	Entry *ParathreadEntry `json:"entry"`
}

type CoreAssignment struct {
	Core  int              `json:"core"`
	Para  int              `json:"para"`
	Group int              `json:"group"`
	Entry *ParathreadEntry `json:"entry"`
}

type SchedulerState struct {
	Groups         [][]int            `json:"groups"`
	Queue          []QueuedParathread `json:"queue"`
	NextCoreOffset int                `json:"next_core_offset"`
	Cores          []*CoreOccupied    `json:"cores"`
	ClaimIndex     []int              `json:"claim_index"`
	SessionStart   int                `json:"session_start"`
	Scheduled      []CoreAssignment   `json:"scheduled"`
}

type CandidatePendingAvailability struct {
	Core        int  `json:"core"`
	Para        int  `json:"para"`
	Head        int  `json:"head"`
	NewCode     *int `json:"new_code"`
	Votes       int  `json:"votes"`
	RelayParent int  `json:"relay_parent"`
	BackedIn    int  `json:"backed_in"`
}

type InclusionStorage struct {
	Pending IntMap[CandidatePendingAvailability] `json:"pending"`
}

type SessionChangeNotification struct {
	Validators []int             `json:"validators"`
	Queued     []int             `json:"queued"`
	PrevConfig HostConfiguration `json:"prev_config"`
	NewConfig  HostConfiguration `json:"new_config"`
	RandomSeed int               `json:"random_seed"`
}

type RuntimeState struct {
	Now            int                          `json:"now"`
	Session        int                          `json:"session"`
	Validators     []int                        `json:"validators"`
	Queued         []int                        `json:"queued"`
	RandomSeed     int                          `json:"random_seed"`
	Configuration  ConfigurationState           `json:"configuration"`
	Paras          ParasState                   `json:"paras"`
	Scheduler      SchedulerState               `json:"scheduler"`
	Inclusion      InclusionStorage             `json:"inclusion"`
	HasInitialized bool                         `json:"has_initialized"`
	Included       bool                         `json:"included"`
	Disputable     [][3]int                     `json:"disputable"`
	Disputes       []Pair[[3]int, DisputeState] `json:"disputes"`
	Frozen         *int                         `json:"frozen"`
	Events         []string                     `json:"events"`
	Notification   *SessionChangeNotification   `json:"notification"`
}

type SignBitfield struct {
	Validator int `json:"validator"`
	Bits      int `json:"bits"`
	Length    int `json:"length"`
	Signer    int `json:"signer"`
}

type BackedCandidate struct {
	Para    int   `json:"para"`
	Head    int   `json:"head"`
	Backers []int `json:"backers"`
	Signers []int `json:"signers"` // null: every backer signed its own statement
	NewCode *int  `json:"new_code"`
}

type InclusionInherent struct {
	Bitfields []SignBitfield        `json:"bitfields"`
	Backed    []BackedCandidate     `json:"backed"`
	Disputes  []DisputeStatementSet `json:"disputes"`
}

// DisputeStatementSet: the candidate of para Para backed in block BackedIn (session Session);
// Valid and Invalid are validator bitmasks.
type DisputeStatementSet struct {
	Para     int `json:"para"`
	BackedIn int `json:"backed_in"`
	Session  int `json:"session"`
	Valid    int `json:"valid"`
	Invalid  int `json:"invalid"`
}

type DisputeState struct {
	VotesFor     int  `json:"votes_for"`
	VotesAgainst int  `json:"votes_against"`
	Start        int  `json:"start"`
	ConcludedAt  *int `json:"concluded_at"`
	Outcome      int  `json:"outcome"`
}

type SessionChange struct {
	Validators []int `json:"validators"`
	Queued     []int `json:"queued"`
	RandomSeed int   `json:"random_seed"`
}

// Call is any of SetConfiguration, RegisterPara, DeregisterPara, AddParathreadClaim: the
// schema's anyOf has no tag, so the kind is told by the keys present.
type Call struct {
	Member    *string `json:"member"`
	Value     *int    `json:"value"`
	Origin    *string `json:"origin"`
	Para      *int    `json:"para"`
	Parachain *bool   `json:"parachain"`
	Head      *int    `json:"head"`
	Code      *int    `json:"code"`
	Collator  *int    `json:"collator"`
}

func (c Call) Kind() string {
	switch {
	case c.Member != nil:
		return "SetConfiguration"
	case c.Parachain != nil:
		return "RegisterPara"
	case c.Collator != nil:
		return "AddParathreadClaim"
	default:
		return "DeregisterPara"
	}
}

type RelayBlock struct {
	SessionChange          *SessionChange      `json:"session_change"`
	SessionChangeAfterInit bool                `json:"session_change_after_init"`
	Inherents              []InclusionInherent `json:"inherents"`
	Calls                  []Call              `json:"calls"`
}
