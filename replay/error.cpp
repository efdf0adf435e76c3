#include "replay/error.h"

#include <cstring>

namespace fxs {

std::string errno_message(const std::string& what, int err) {
  // strerror_r has two incompatible signatures; strerror is fine here because
  // the text is copied at once and glibc's table is immutable for known errnos.
  return what + ": " + std::strerror(err);
}

}  // namespace fxs
