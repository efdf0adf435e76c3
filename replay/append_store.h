// append_store.h: an append-only array of trivially copyable T for models
// that keep something per record until they finish. Its blocks never move
// (no regrowth copies); from 2 MiB up they are huge pages (replay/huge_pages.h).
// The first kInline elements live in the object itself: a model with an AppendStore
// per key (a thread, say) often has hundreds of thousands of keys with one
// or two elements, and a block each fragmented the heap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "replay/huge_pages.h"

namespace fxs {

template <class T>
class AppendStore {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_default_constructible_v<T>);

 public:
  static constexpr size_t kInline = 2;

  AppendStore() = default;
  AppendStore(const AppendStore& o) : size_(o.size_) {
    std::memcpy(inline_, o.inline_, sizeof inline_);
    for (const Block& b : o.blocks_) {
      Block c = allocate(b.cap);
      std::memcpy(c.data.get(), b.data.get(), b.used * sizeof(T));
      c.used = b.used;
      blocks_.push_back(std::move(c));
    }
  }
  AppendStore& operator=(const AppendStore& o) {
    if (this != &o) *this = AppendStore(o);
    return *this;
  }
  AppendStore(AppendStore&&) noexcept = default;
  AppendStore& operator=(AppendStore&&) noexcept = default;

  void push_back(const T& v) {
    if (size_ < kInline) {
      inline_[size_++] = v;
      return;
    }
    if (blocks_.empty() || blocks_.back().used == blocks_.back().cap) grow();
    Block& b = blocks_.back();
    b.data[b.used++] = v;
    size_++;
  }
  size_t size() const { return size_; }
  // Every element in order.
  template <class F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < size_ && i < kInline; i++) f(inline_[i]);
    for (const Block& b : blocks_)
      for (size_t i = 0; i < b.used; i++) f(b.data[i]);
  }
  std::vector<T> to_vector() const {
    std::vector<T> v;
    v.reserve(size_);
    for_each([&](const T& x) { v.push_back(x); });
    return v;
  }

 private:
  static constexpr size_t kFirstElems = 8;  // the first block, past the inline ones
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  struct Block {
    std::unique_ptr<T[], Free> data;
    size_t used = 0, cap = 0;
  };
  static Block allocate(size_t cap) {
    Block b;
    b.data.reset(static_cast<T*>(huge_page_alloc(cap * sizeof(T))));
    b.cap = cap;
    return b;
  }
  // Each block twice the last, up to 2 MiB; then 2 MiB blocks.
  void grow() {
    const size_t cap = blocks_.empty() ? kFirstElems : std::min(blocks_.back().cap * 2, std::max(kFirstElems, kHugePage / sizeof(T)));
    blocks_.push_back(allocate(cap));
  }
  T inline_[kInline];  // the first kInline elements
  std::vector<Block> blocks_;  // the rest
  size_t size_ = 0;
};

}  // namespace fxs
