/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * jhash.h: the kernel's jhash2() (Bob Jenkins' lookup3 hashword, public
 * domain) over 32-bit words, for the BPF programs and the C++ side alike:
 * the futex hash tables index buckets with it (docs/kernel.md).
 * Only the two lengths the futex hash uses are needed: 2 words (private
 * table: the page address) and 4 words (global table: mm or inode sequence,
 * then the address or page offset).
 */
#ifndef FUTEXSCOPE_JHASH_H
#define FUTEXSCOPE_JHASH_H

#ifdef __bpf__
#define FXS_JHASH_INLINE static __always_inline
#else
#include <linux/types.h>
#define FXS_JHASH_INLINE static inline
#endif

#define FXS_JHASH_INITVAL 0xdeadbeefu

FXS_JHASH_INLINE __u32 fxs_rol32(__u32 w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

/* lookup3's mix(): reversible mixing of three words. */
#define FXS_JHASH_MIX(a, b, c)                                                                     \
	do {                                                                                       \
		a -= c; a ^= fxs_rol32(c, 4);  c += b;                                             \
		b -= a; b ^= fxs_rol32(a, 6);  a += c;                                             \
		c -= b; c ^= fxs_rol32(b, 8);  b += a;                                             \
		a -= c; a ^= fxs_rol32(c, 16); c += b;                                             \
		b -= a; b ^= fxs_rol32(a, 19); a += c;                                             \
		c -= b; c ^= fxs_rol32(b, 4);  b += a;                                             \
	} while (0)

/* lookup3's final(): the last mixing, so every input bit affects every output bit. */
#define FXS_JHASH_FINAL(a, b, c)                                                                   \
	do {                                                                                       \
		c ^= b; c -= fxs_rol32(b, 14);                                                     \
		a ^= c; a -= fxs_rol32(c, 11);                                                     \
		b ^= a; b -= fxs_rol32(a, 25);                                                     \
		c ^= b; c -= fxs_rol32(b, 16);                                                     \
		a ^= c; a -= fxs_rol32(c, 4);                                                      \
		b ^= a; b -= fxs_rol32(a, 14);                                                     \
		c ^= b; c -= fxs_rol32(b, 24);                                                     \
	} while (0)

/* jhash2(k, 2, initval): the private table's hash of a page address. */
FXS_JHASH_INLINE __u32 fxs_jhash2_2(__u32 k0, __u32 k1, __u32 initval)
{
	__u32 a, b, c;
	a = b = c = FXS_JHASH_INITVAL + (2u << 2) + initval;
	b += k1;
	a += k0;
	FXS_JHASH_FINAL(a, b, c);
	return c;
}

/* jhash2(k, 4, initval): the global table's hash of a whole key. */
FXS_JHASH_INLINE __u32 fxs_jhash2_4(__u32 k0, __u32 k1, __u32 k2, __u32 k3, __u32 initval)
{
	__u32 a, b, c;
	a = b = c = FXS_JHASH_INITVAL + (4u << 2) + initval;
	a += k0;
	b += k1;
	c += k2;
	FXS_JHASH_MIX(a, b, c);
	a += k3;
	FXS_JHASH_FINAL(a, b, c);
	return c;
}

#endif /* FUTEXSCOPE_JHASH_H */
