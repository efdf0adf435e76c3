// record_types.h: sets of trace record types. Every model declares the types
// it reads, next to its add() (`static constexpr RecordTypes kReads`), and
// whoever feeds models routes each record by those declarations
// (replay/trace_models.cpp for the report, ui/ingest_worker.cpp and
// ui/side_models.cpp for the window): which model reads what is written once,
// in the model, never as a range of the type numbers.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "bpf/trace_abi.h"

namespace fxs {

constexpr uint64_t record_type_bit(uint32_t t) { return t < 64 ? uint64_t{1} << t : 0; }

// The types a trace can hold, as this build knows them.
inline constexpr uint64_t kKnownRecordTypeBits = [] {
  uint64_t b = 0;
  for (uint32_t t : {FXS_REC_FUTEX, FXS_REC_TASK, FXS_REC_LOSS, FXS_REC_AGG, FXS_REC_STOP, FXS_REC_WAKE, FXS_REC_STACK,
                     FXS_REC_HASH, FXS_REC_CONTENTION, FXS_REC_PAGE_NODE, FXS_REC_WAIT_SPLIT, FXS_REC_SWITCH,
                     FXS_REC_WAKEUP, FXS_REC_HASH_GLOBAL, FXS_REC_RSEQ_ABORT, FXS_REC_RSEQ_THREAD, FXS_REC_RSEQ_REG,
                     FXS_REC_RSEQ_STATS, FXS_REC_RSEQ_SYM, FXS_REC_UMCG, FXS_REC_THREAD_STATE, FXS_REC_FUTEX_NAME,
                     FXS_REC_STACK_WEIGHT, FXS_REC_THREAD_EXIT})
    b |= record_type_bit(t);
  return b;
}();

class RecordTypes {
 public:
  constexpr RecordTypes() = default;
  constexpr RecordTypes(std::initializer_list<uint32_t> types) {
    for (uint32_t t : types) bits_ |= bit(t);
  }
  // Every type this build does not know (a newer recorder's, or garbage):
  // the futex model counts those.
  static constexpr RecordTypes unknown() {
    RecordTypes r;
    r.unknown_ = true;
    return r;
  }

  constexpr bool has(uint32_t type) const { return known(type) ? (bits_ & bit(type)) != 0 : unknown_; }
  constexpr RecordTypes operator|(RecordTypes o) const {
    RecordTypes r;
    r.bits_ = bits_ | o.bits_;
    r.unknown_ = unknown_ || o.unknown_;
    return r;
  }
  // The types of this set that `o` lacks.
  constexpr RecordTypes without(RecordTypes o) const {
    RecordTypes r;
    r.bits_ = bits_ & ~o.bits_;
    r.unknown_ = unknown_ && !o.unknown_;
    return r;
  }
  constexpr bool empty() const { return bits_ == 0 && !unknown_; }
  constexpr bool operator==(const RecordTypes&) const = default;

  // A type a trace can hold, as this build knows them (FXS_REC_USTACK_RAW
  // goes from BPF to the collector only: in a trace it is unknown; a decoded
  // chunk holds the calls of an FXS_REC_FUTEX_COUNT, replay/counted_calls.h,
  // never the record itself).
  static constexpr bool known(uint32_t type) { return (kKnownRecordTypeBits & record_type_bit(type)) != 0; }
  // For messages and tests: the known types in the set, ascending.
  template <class F>
  constexpr void for_each_known(F&& f) const {
    for (uint32_t t = 0; t < 64; t++)
      if (known(t) && has(t)) f(t);
  }

 private:
  static constexpr uint64_t bit(uint32_t t) { return record_type_bit(t); }
  uint64_t bits_ = 0;
  bool unknown_ = false;
};

// Gives `h` to `model` if the model reads its type.
template <class Model>
inline void feed(Model& model, const fxs_rec_hdr* h) {
  if (Model::kReads.has(h->type)) model.add(h);
}

}  // namespace fxs
