// Text taken from a trace (header strings, thread and process names, stack
// frame names) passes through here once, when it is read: a file may hold any
// bytes, while JSON needs valid UTF-8 and the text and folded outputs need
// one line per name.
#pragma once

#include <cstddef>
#include <string>

namespace fxs {

// The bytes p[0..max_len) up to the first NUL, as valid UTF-8 with no control
// characters: each invalid sequence and each control byte (newline, tab,
// escape...) becomes U+FFFD.
std::string trace_text(const char* p, size_t max_len);

}  // namespace fxs
