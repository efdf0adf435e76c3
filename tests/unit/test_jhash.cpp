// bpf/jhash.h unrolls the kernel's jhash2() for 2 and 4 words; here each is
// checked against the general word loop of lookup3's hashword() (the form
// include/linux/jhash.h has), on many keys. That the bucket is the kernel's
// own is checked against the kernel itself by integration.RecordBuckets.*.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "bpf/jhash.h"

namespace {

uint32_t rol(uint32_t w, unsigned s) { return (w << s) | (w >> (32 - s)); }

// lookup3 hashword(): three words at a time, then the 1..3 left, then final.
uint32_t jhash2_loop(const uint32_t* k, uint32_t length, uint32_t initval) {
  uint32_t a, b, c;
  a = b = c = 0xdeadbeefu + (length << 2) + initval;
  while (length > 3) {
    a += k[0];
    b += k[1];
    c += k[2];
    a -= c; a ^= rol(c, 4);  c += b;
    b -= a; b ^= rol(a, 6);  a += c;
    c -= b; c ^= rol(b, 8);  b += a;
    a -= c; a ^= rol(c, 16); c += b;
    b -= a; b ^= rol(a, 19); a += c;
    c -= b; c ^= rol(b, 4);  b += a;
    length -= 3;
    k += 3;
  }
  switch (length) {
    case 3: c += k[2]; [[fallthrough]];
    case 2: b += k[1]; [[fallthrough]];
    case 1:
      a += k[0];
      c ^= b; c -= rol(b, 14);
      a ^= c; a -= rol(c, 11);
      b ^= a; b -= rol(a, 25);
      c ^= b; c -= rol(b, 16);
      a ^= c; a -= rol(c, 4);
      b ^= a; b -= rol(a, 14);
      c ^= b; c -= rol(b, 24);
      break;
    default: break;
  }
  return c;
}

TEST(Jhash, UnrolledFormsEqualTheWordLoop) {
  std::mt19937 rng(7);
  for (int i = 0; i < 100000; i++) {
    uint32_t k[4] = {uint32_t(rng()), uint32_t(rng()), uint32_t(rng()), uint32_t(rng())};
    uint32_t init = rng() & 0xffc;  // an offset in a page, as the futex hash uses it
    ASSERT_EQ(fxs_jhash2_2(k[0], k[1], init), jhash2_loop(k, 2, init)) << i;
    ASSERT_EQ(fxs_jhash2_4(k[0], k[1], k[2], k[3], init), jhash2_loop(k, 4, init)) << i;
  }
}

}  // namespace
