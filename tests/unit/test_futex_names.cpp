// FXS_REC_FUTEX_NAME read back (replay/futex_names.h): the name of each
// (pid, address), the latest one when an address was named twice, nothing
// from a record too short for its type, and text made safe.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "replay/futex_names.h"

namespace fxs {
namespace {

std::vector<uint8_t> name_rec(uint32_t tgid, uint64_t uaddr, const std::string& name, size_t size = 0) {
  const size_t bytes = size ? size : (sizeof(fxs_futex_name_rec) + name.size() + 1 + 7) & ~size_t{7};
  std::vector<uint8_t> buf(std::max(bytes, sizeof(fxs_futex_name_rec) + name.size()), 0);
  fxs_futex_name_rec r{};
  r.hdr = {FXS_REC_FUTEX_NAME, uint16_t(bytes), 0};
  r.tgid = tgid;
  r.source = FXS_NAME_DWARF;
  r.uaddr = uaddr;
  std::memcpy(buf.data(), &r, sizeof r);
  std::memcpy(buf.data() + sizeof r, name.data(), name.size());
  return buf;
}

const fxs_rec_hdr* hdr(const std::vector<uint8_t>& b) { return reinterpret_cast<const fxs_rec_hdr*>(b.data()); }

TEST(FutexNames, NameEachAddressOfEachProcessTheLatestWins) {
  FutexNames names;
  auto a = name_rec(10, 0x1000, "g_pool.lock");
  auto b = name_rec(11, 0x1000, "[heap]");
  auto c = name_rec(10, 0x1000, "g_pool.cond");  // the word was freed and reused
  names.add(hdr(a));
  names.add(hdr(b));
  EXPECT_EQ(names.find(10, 0x1000), "g_pool.lock");
  names.add(hdr(c));
  EXPECT_EQ(names.find(10, 0x1000), "g_pool.cond");
  EXPECT_EQ(names.find(11, 0x1000), "[heap]");
  EXPECT_EQ(names.find(10, 0x2000), "");
  fxs_rec_hdr other{FXS_REC_STOP, 16, 0};
  names.add(&other);
  EXPECT_EQ(names.size(), 2u);
}

TEST(FutexNames, DamagedRecordsGiveNoNameAndSafeText) {
  FutexNames names;
  auto short_rec = name_rec(10, 0x1000, "", sizeof(fxs_futex_name_rec) - 8);
  names.add(hdr(short_rec));  // its type, but no name
  EXPECT_EQ(names.size(), 0u);
  // No NUL within the record, a newline and invalid UTF-8: one safe line.
  std::string raw = "a\nb\xff";
  auto r = name_rec(10, 0x3000, raw, sizeof(fxs_futex_name_rec) + raw.size());
  names.add(hdr(r));
  const std::string& got = names.find(10, 0x3000);
  EXPECT_EQ(got.find('\n'), std::string::npos);
  EXPECT_EQ(got.substr(0, 1), "a");
}

}  // namespace
}  // namespace fxs
