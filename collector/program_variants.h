// Program variants, best first: a BPF session tries each until one loads AND
// attaches. A kernel may load a program and then refuse to attach it (a
// tracepoint program without tracefs to find its id, a tp_btf target it
// lacks), so a failed attach falls back exactly like a failed load.
#pragma once

#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>

#include "replay/error.h"

namespace fxs {

// Calls start(v) for each variant (each has a `const char* name`) until one
// succeeds. The environment variable `force_env`, when set, keeps only the
// variant of that name (tests, odd kernels). The error names every variant's
// failure (once, when they all failed alike). `passed_over` (if given) gets
// why the variants before the one that started failed ("" if none did): a
// better variant that stopped loading is otherwise only seen as a slower
// capture.
template <class Variants, class Start>
auto start_first_variant(const Variants& variants, const char* force_env, Start start,
                         std::string* passed_over = nullptr) -> decltype(start(*std::begin(variants))) {
  const char* only = std::getenv(force_env);
  std::string names, first, all;
  bool alike = true;
  for (const auto& v : variants) {
    names += (names.empty() ? "" : " or ") + std::string(v.name);
    if (only && std::strcmp(only, v.name) != 0) continue;
    auto s = start(v);
    if (s) {
      if (passed_over) *passed_over = all;
      return s;
    }
    if (all.empty()) first = s.message();
    alike = alike && s.message() == first;
    all += (all.empty() ? "" : "; ") + std::string(v.name) + " variant: " + s.message();
  }
  if (all.empty()) return Error{std::string("unknown ") + force_env + " '" + only + "' (" + names + ")"};
  return Error{alike ? first : all};
}

}  // namespace fxs
