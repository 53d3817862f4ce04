// abp_sha256: SHA-256 (FIPS 180-4) for checking the warmup library's bytes
// as they are copied into the sealed memory file that gets mapped. Small and
// self-contained: the core links nothing but libc. On x64 processors with the
// SHA extensions (most since 2017-2019) the blocks go through them: the 1.3 MB
// library then takes ~1 ms instead of ~4.5 ms of the warmup thread's time.
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "abp.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], const uint8_t block[64]) {
	uint32_t w[64];
	for (int i = 0; i < 16; i++) {
		w[i] = (uint32_t)block[i * 4] << 24 | (uint32_t)block[i * 4 + 1] << 16 | (uint32_t)block[i * 4 + 2] << 8 | block[i * 4 + 3];
	}
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		k = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

#if defined(__x86_64__)
__attribute__((target("sha,sse4.1,ssse3"))) static void compress_shani(uint32_t h[8], const uint8_t *data, uint64_t blocks) {
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1); // CDAB
	__m128i state1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B); // EFGH
	__m128i state0 = _mm_alignr_epi8(tmp, state1, 8);                                // ABEF
	state1 = _mm_blend_epi16(state1, tmp, 0xF0);                                     // CDGH
	for (; blocks > 0; blocks--, data += 64) {
		__m128i abef = state0, cdgh = state1, w[16];
		for (int j = 0; j < 4; j++) w[j] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * j)), mask);
		for (int j = 4; j < 16; j++) {
			__m128i x = _mm_add_epi32(_mm_sha256msg1_epu32(w[j - 4], w[j - 3]), _mm_alignr_epi8(w[j - 1], w[j - 2], 4));
			w[j] = _mm_sha256msg2_epu32(x, w[j - 1]);
		}
		for (int j = 0; j < 16; j++) {
			__m128i msg = _mm_add_epi32(w[j], _mm_loadu_si128((const __m128i *)&K[4 * j]));
			state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
			state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));
		}
		state0 = _mm_add_epi32(state0, abef);
		state1 = _mm_add_epi32(state1, cdgh);
	}
	tmp = _mm_shuffle_epi32(state0, 0x1B);      // FEBA
	state1 = _mm_shuffle_epi32(state1, 0xB1);   // DCHG
	state0 = _mm_blend_epi16(tmp, state1, 0xF0); // DCBA
	state1 = _mm_alignr_epi8(state1, tmp, 8);   // HGFE
	_mm_storeu_si128((__m128i *)&h[0], state0);
	_mm_storeu_si128((__m128i *)&h[4], state1);
}

static int have_shani(void) {
	static int known = -1;
	if (known >= 0) return known;
	unsigned a, b, c, d;
	int ok = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_1) && (c & bit_SSSE3);
	ok = ok && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)); // CPUID.7.0:EBX.SHA
	known = ok;
	return known;
}
#endif

static void compress_blocks(uint32_t h[8], const uint8_t *data, uint64_t blocks) {
#if defined(__x86_64__)
	if (have_shani()) {
		compress_shani(h, data, blocks);
		return;
	}
#endif
	for (; blocks > 0; blocks--, data += 64) compress(h, data);
}

void abp_sha256_init(struct abp_sha256 *s) {
	static const uint32_t init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, init, sizeof init);
	s->length = 0;
	s->used = 0;
}

void abp_sha256_update(struct abp_sha256 *s, const void *data, uint64_t n) {
	const uint8_t *p = data;
	s->length += n;
	while (n > 0) {
		if (s->used == 0 && n >= 64) {
			uint64_t blocks = n / 64;
			compress_blocks(s->h, p, blocks);
			p += blocks * 64;
			n -= blocks * 64;
			continue;
		}
		uint32_t take = 64 - s->used;
		if (take > n) take = (uint32_t)n;
		memcpy(s->block + s->used, p, take);
		s->used += take;
		p += take;
		n -= take;
		if (s->used == 64) {
			compress_blocks(s->h, s->block, 1);
			s->used = 0;
		}
	}
}

void abp_sha256_hex(struct abp_sha256 *s, char out[65]) {
	uint64_t bits = s->length * 8;
	uint8_t pad = 0x80;
	abp_sha256_update(s, &pad, 1);
	uint8_t zero = 0;
	while (s->used != 56) abp_sha256_update(s, &zero, 1);
	uint8_t len[8];
	for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
	abp_sha256_update(s, len, 8);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 8; i++) {
		for (int j = 0; j < 4; j++) {
			uint8_t byte = (uint8_t)(s->h[i] >> (24 - 8 * j));
			out[i * 8 + j * 2] = hex[byte >> 4];
			out[i * 8 + j * 2 + 1] = hex[byte & 15];
		}
	}
	out[64] = '\0';
}
