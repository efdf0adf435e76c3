#include "replay/futex_names.h"

#include <cstring>

#include "replay/trace_format.h"
#include "replay/trace_text.h"

namespace fxs {

void FutexNames::add(const fxs_rec_hdr* h) {
  if (h->type != FXS_REC_FUTEX_NAME) return;
  fxs_futex_name_rec r;
  if (!read_record(h, r)) return;  // damaged: no name
  // The latest name wins: an address reused by another object after a free.
  names_[PairKey{r.tgid, r.uaddr}] = trace_text(reinterpret_cast<const char*>(h) + sizeof(r), h->size - sizeof(r));
}

const std::string& FutexNames::find(uint32_t tgid, uint64_t uaddr) const {
  static const std::string kNone;
  auto it = names_.find(PairKey{tgid, uaddr});
  return it == names_.end() ? kNone : it->second;
}

}  // namespace fxs
