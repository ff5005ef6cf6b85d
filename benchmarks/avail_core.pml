/*
 * The SPIN twin of paraspec's `avail_core` machine (model/avail_core.py, spec/avail_core.md).
 *
 * Exactly the same state variables: per core (2 cores) occupied, votes (an N-bit mask),
 * age, enacted and timed_out (counters saturating at CAP). Every transition is one d_step
 * from the loop head, so SPIN stores one state per valuation of these variables and its
 * "states stored" is the distinct-state count paraspec reports:
 * 194,481 (N = 4), 762,129 (N = 5), 3,017,169 (N = 6).
 *
 *   spin -a -DN=6 avail_core.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && ./pan -m1000
 */
#ifndef N
#define N 4
#endif
#define TIMEOUT 3
#define CAP 2

byte occupied[2];
byte votes[2];   /* N <= 8 */
byte age[2];
byte enacted[2];
byte timed_out[2];

#define POP(x) (((x) & 1) + (((x) >> 1) & 1) + (((x) >> 2) & 1) + (((x) >> 3) & 1) + \
                (((x) >> 4) & 1) + (((x) >> 5) & 1) + (((x) >> 6) & 1) + (((x) >> 7) & 1))
/* AC-3 / TH-2: more than 2/3 of the validators */
#define AVAILABLE(x) (3 * POP(x) > 2 * N)

/* AC-3 .. AC-6 for one core */
#define TICK_CORE(c) \
  if \
  :: occupied[c] == 1 && AVAILABLE(votes[c]) -> \
       occupied[c] = 0; votes[c] = 0; age[c] = 0; \
       if :: enacted[c] < CAP -> enacted[c]++ :: else -> skip fi \
  :: occupied[c] == 1 && !AVAILABLE(votes[c]) && age[c] + 1 >= TIMEOUT -> \
       occupied[c] = 0; votes[c] = 0; age[c] = 0; \
       if :: timed_out[c] < CAP -> timed_out[c]++ :: else -> skip fi \
  :: occupied[c] == 1 && !AVAILABLE(votes[c]) && age[c] + 1 < TIMEOUT -> age[c]++ \
  :: else -> skip \
  fi

/* AC-1 */
#define BACK(c) :: d_step { occupied[c] == 0 -> occupied[c] = 1; votes[c] = 0; age[c] = 0 }
/* AC-2 */
#define VOTE(c, v) :: d_step { v < N && occupied[c] == 1 && ((votes[c] >> v) & 1) == 0 -> \
                                votes[c] = votes[c] | (1 << v) }

active proctype avail_core() {
  do
  BACK(0)
  BACK(1)
  VOTE(0, 0) VOTE(0, 1) VOTE(0, 2) VOTE(0, 3) VOTE(0, 4) VOTE(0, 5) VOTE(0, 6) VOTE(0, 7)
  VOTE(1, 0) VOTE(1, 1) VOTE(1, 2) VOTE(1, 3) VOTE(1, 4) VOTE(1, 5) VOTE(1, 6) VOTE(1, 7)
  :: d_step { TICK_CORE(0); TICK_CORE(1) }
  od
}

/* type_ok and no_candidate_past_timeout (checked in every state) */
#define TYPE_OK(c) ((occupied[c] == 1 || (votes[c] == 0 && age[c] == 0)) && age[c] < TIMEOUT && \
                    enacted[c] <= CAP && timed_out[c] <= CAP)
never {
  do
  :: !(TYPE_OK(0) && TYPE_OK(1)) -> break
  :: else
  od
}
