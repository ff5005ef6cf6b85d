#!/usr/bin/env node
// A second, independent implementation of the paraspec spine handlers, in plain
// Node.js (no packages), written from spec/availability.md and spec/inclusion.md.
// It speaks the paraspec adapter protocol (docs/vectors.md): one JSON request per
// line on stdin, one JSON response per line on stdout.
//
//   paraspec vectors run DIR --adapter "node examples/adapters/node/adapter.js"
//
// Handlers: availability/sign_bitfield, availability/end_block, inclusion/collate,
// inclusion/statement, inclusion/drop, inclusion/bitfield, inclusion/block. Any other
// handler is answered {"unsupported": ...}.
//
// Bitsets are JSON integers (bit i = validator i or core i); the arithmetic below is
// exact up to 2^53, far beyond the small presets the vectors use.

"use strict";

const readline = require("readline");

// -- bitsets ------------------------------------------------------------------------------------

const bit = (i) => 2 ** i;
const hasBit = (x, i) => Math.floor(x / bit(i)) % 2 === 1;
const withBit = (x, i) => (hasBit(x, i) ? x : x + bit(i));
function popcount(x) {
  let n = 0;
  while (x > 0) {
    n += x % 2;
    x = Math.floor(x / 2);
  }
  return n;
}

// -- rejections ------------------------------------------------------------------------------

class Reject extends Error {
  constructor(rule, reason) {
    super(`${rule}: ${reason}`);
    this.rule = rule;
  }
}
function require_(cond, rule, reason) {
  if (!cond) throw new Reject(rule, reason);
}

// -- thresholds (spec/thresholds.md) -------------------------------------------------------

// TH-2: more than two thirds, without division
const moreThanTwoThirds = (votes, n) => 3 * votes > 2 * n;

// TH-4: the backing threshold, by the configured reading (decision INC-D1)
function isBackable(votes, groupSize, cfg) {
  switch (cfg.backing_threshold) {
    case "majority":
      return 2 * votes > groupSize;
    case "two_thirds":
      return groupSize > 0 && 3 * votes >= 2 * groupSize;
    case "sdk":
      return votes >= Math.min(groupSize, cfg.minimum_backing_votes);
    default:
      throw new Error(`unknown backing threshold ${cfg.backing_threshold}`);
  }
}

// -- bitfields (AV-1 .. AV-4): shared by both machines ------------------------------------------

function checkBitfield(bf, nValidators, nCores, nextValidator) {
  require_(bf.validator >= 0 && bf.validator < nValidators, "AV-1", "unknown validator");
  require_(bf.length === nCores, "AV-2", "wrong length");
  require_(bf.bits >= 0 && bf.bits < bit(nCores), "AV-2", "bits beyond the length");
  require_(bf.validator >= nextValidator, "AV-3", "duplicate or out of order");
  require_(bf.signer === bf.validator, "AV-4", "forged signature");
}

// -- availability (spec/availability.md) ---------------------------------------------------------

const TBD = "TO_BE_DETERMINED";

function availabilitySignBitfield(cfg, s, bf) {
  checkBitfield(bf, cfg.n_validators, cfg.n_parachains, s.signed);
  const signed = bf.validator + 1;
  // AV-5: a 1 bit for a para without a candidate to be determined (AV-9: only those count)
  for (let i = 0; i < s.paras.length; i++) {
    if (hasBit(bf.bits, i) && s.paras[i].status !== TBD) {
      require_(cfg.free_core_bit !== "reject", "AV-5", "bit set for a para with no candidate");
      return { ...s, signed };
    }
  }
  const paras = s.paras.map((p, i) => (hasBit(bf.bits, i) ? { ...p, votes: withBit(p.votes, bf.validator) } : p));
  return { paras, signed };
}

function availabilityEndBlock(cfg, s, note) {
  require_(note >= 0 && note < bit(cfg.n_parachains), "AV-10", "note names no para");
  const paras = s.paras.map((p, i) => {
    let q = { ...p };
    if (q.status === "AVAILABLE" || q.status === "UNAVAILABLE") {
      // the decision of the previous block has been acted on: clear the record
      q = { ...q, status: "NO_CANDIDATE", votes: 0, age: 0 };
    } else if (q.status === TBD) {
      const age = q.age + 1;
      if (moreThanTwoThirds(popcount(q.votes), cfg.n_validators)) {
        // AV-6
        q = { ...q, status: "AVAILABLE", age, enacted: withBit(q.enacted, q.noted - 1) };
      } else if (age >= cfg.chain_availability_period) {
        // AV-7
        q = { ...q, status: "UNAVAILABLE", age, timed_out: withBit(q.timed_out, q.noted - 1) };
      } else {
        q = { ...q, age };
      }
    }
    if (hasBit(note, i)) {
      // AV-10: a new receipt only for a para with no candidate
      require_(q.status === "NO_CANDIDATE", "AV-10", `para ${i} already has a candidate`);
      q = { ...q, status: TBD, votes: 0, age: 0, noted: q.noted + 1 };
    }
    return q;
  });
  return { paras, signed: 0 };
}

// -- inclusion (spec/inclusion.md) ------------------------------------------------------------------

// INC-D3: core i belongs to parachain i; the validators are split into contiguous
// groups, the first (V mod N) groups one larger ([IG §2.5.5]).
function groups(nValidators, nGroups) {
  const out = [];
  let start = 0;
  for (let g = 0; g < nGroups; g++) {
    const size = Math.floor(nValidators / nGroups) + (g < nValidators % nGroups ? 1 : 0);
    const members = [];
    for (let v = start; v < start + size; v++) members.push(v);
    out.push(members);
    start += size;
  }
  return out;
}

const EXIT = { INCLUDED: 1, NOT_PROPAGATED: 2, NOT_BACKED: 3, NOT_SELECTED: 4, TIMED_OUT: 5 };
const DROP_EXIT = { CANDIDATE: EXIT.NOT_PROPAGATED, SECONDED: EXIT.NOT_BACKED, BACKABLE: EXIT.NOT_SELECTED };

function setPara(s, p, pp, outcome) {
  const paras = s.paras.slice();
  paras[p] = pp;
  if (outcome === undefined) return { ...s, paras };
  const exits = s.exits.slice();
  const lastExit = s.last_exit.slice();
  exits[p] += 1;
  lastExit[p] = outcome;
  return { ...s, paras, exits, last_exit: lastExit };
}

function checkStatement(cfg, s, para, validator) {
  require_(para >= 0 && para < s.paras.length, "INC-3", "no such para");
  const group = groups(cfg.n_validators, cfg.n_parachains)[para];
  require_(group.includes(validator), "INC-3", "validator outside the assigned group");
  return group;
}

function collate(cfg, s, para) {
  require_(para >= 0 && para < s.paras.length, "INC-1", "no such para");
  const pp = s.paras[para];
  require_(pp.stage === "IDLE", "INC-1", "a candidate is already in flight");
  return setPara(s, para, { stage: "CANDIDATE", statements: 0, produced: pp.produced + 1 });
}

function statement(cfg, s, kind, para, validator) {
  const group = checkStatement(cfg, s, para, validator);
  const pp = s.paras[para];
  let stmts;
  if (kind === "Second") {
    require_(pp.stage === "CANDIDATE", "INC-1", "the candidate is not awaiting a second");
    stmts = bit(validator);
  } else {
    require_(pp.stage === "SECONDED" || pp.stage === "BACKABLE", "INC-1", "the candidate is not seconded");
    stmts = withBit(pp.statements, validator);
  }
  const stage = isBackable(popcount(stmts), group.length, cfg) ? "BACKABLE" : "SECONDED";
  return setPara(s, para, { ...pp, stage, statements: stmts });
}

function drop(cfg, s, para) {
  require_(para >= 0 && para < s.paras.length, "INC-2", "no such para");
  const pp = s.paras[para];
  require_(pp.stage !== "IDLE", "INC-2", "no candidate in flight");
  return setPara(s, para, { stage: "IDLE", statements: 0, produced: pp.produced }, DROP_EXIT[pp.stage]);
}

function inclusionBitfield(cfg, s, bf) {
  checkBitfield(bf, cfg.n_validators, s.cores.length, s.signed);
  const signed = bf.validator + 1;
  for (let i = 0; i < s.cores.length; i++) {
    if (hasBit(bf.bits, i) && s.cores[i] === null) {
      require_(cfg.free_core_bit !== "reject", "AV-5", "bit set for a free core");
      return { ...s, signed };
    }
  }
  const cores = s.cores.map((c, i) => (hasBit(bf.bits, i) ? { ...c, votes: withBit(c.votes, bf.validator) } : c));
  return { ...s, cores, signed };
}

// INC-9: enactment, then timeouts, then scheduling of the free cores, then the backed candidates
function block(cfg, s, backed) {
  const nParas = s.paras.length;
  require_(backed >= 0 && backed < bit(nParas), "INC-5", "backed mask names no para");
  const cores = s.cores.slice();
  const exits = s.exits.slice();
  const lastExit = s.last_exit.slice();
  for (let i = 0; i < cores.length; i++) {
    const c = cores[i];
    if (c === null) continue;
    const age = c.age + 1;
    if (moreThanTwoThirds(popcount(c.votes), cfg.n_validators)) {
      exits[c.para] += 1; // INC-7
      lastExit[c.para] = EXIT.INCLUDED;
      cores[i] = null;
    } else if (age >= cfg.chain_availability_period) {
      exits[c.para] += 1; // INC-8
      lastExit[c.para] = EXIT.TIMED_OUT;
      cores[i] = null;
    } else {
      cores[i] = { ...c, age };
    }
  }
  const free = cores.map((c) => c === null);
  const paras = s.paras.slice();
  for (let p = 0; p < nParas; p++) {
    if (!hasBit(backed, p)) continue;
    const pp = paras[p];
    require_(pp.stage === "BACKABLE", "INC-4", `para ${p}'s candidate lacks backing`);
    const core = p; // INC-5: the para's own core
    require_(free[core], "INC-5", `core ${core} is not free`);
    require_(cores.every((c) => c === null || c.para !== p), "INC-6", "para already pending");
    cores[core] = { para: p, serial: pp.produced, votes: 0, age: 0 };
    paras[p] = { stage: "IDLE", statements: 0, produced: pp.produced };
  }
  return { paras, cores, signed: 0, exits, last_exit: lastExit };
}

// -- the protocol -------------------------------------------------------------------------------------

const HANDLERS = {
  "availability/sign_bitfield": { SignBitfield: (c, s, a) => availabilitySignBitfield(c, s, a) },
  "availability/end_block": { EndBlock: (c, s, a) => availabilityEndBlock(c, s, a.note) },
  "inclusion/collate": { Collate: (c, s, a) => collate(c, s, a.para) },
  "inclusion/statement": {
    Second: (c, s, a) => statement(c, s, "Second", a.para, a.validator),
    Valid: (c, s, a) => statement(c, s, "Valid", a.para, a.validator),
  },
  "inclusion/drop": { Drop: (c, s, a) => drop(c, s, a.para) },
  "inclusion/bitfield": { SignBitfield: (c, s, a) => inclusionBitfield(c, s, a) },
  "inclusion/block": { Block: (c, s, a) => block(c, s, a.backed) },
};

function answer(req) {
  const out = req && typeof req.id === "string" ? { id: req.id } : {};
  const table = HANDLERS[req && req.handler];
  if (!table) return { ...out, unsupported: `handler ${JSON.stringify(req && req.handler)} is not implemented` };
  const fn = table[req.input && req.input.action];
  if (!fn) return { ...out, error: `input.action ${JSON.stringify(req.input && req.input.action)} is not an input of ${req.handler}` };
  try {
    const post = fn(req.config, req.pre_state, req.input.args);
    return { ...out, output: { ok: null }, post_state: post };
  } catch (e) {
    if (e instanceof Reject) return { ...out, output: { err: e.rule }, post_state: req.pre_state };
    return { ...out, error: `${e.name}: ${e.message}` };
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let resp;
  try {
    resp = answer(JSON.parse(line));
  } catch (e) {
    resp = { error: `request is not JSON: ${e.message}` };
  }
  process.stdout.write(JSON.stringify(resp) + "\n");
});
