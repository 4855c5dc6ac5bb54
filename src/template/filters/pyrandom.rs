// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Python's `random.Random(seed)`: the Mersenne Twister, its seeding from an
//! int or a str, and `randrange`, `choice`, `shuffle` on top. Ansible's
//! `random(seed=...)` and `shuffle(seed=...)` filters are meant to give the
//! same answer on every run (`{{ 59 | random(seed=inventory_hostname) }}`
//! spreads cron jobs), so kiln must draw exactly Python's numbers.

use sha2::Digest as _;

const N: usize = 624;
const M: usize = 397;

pub(crate) struct PyRandom {
    mt: [u32; N],
    index: usize,
}

/// A seed as Python takes it.
pub(crate) enum Seed<'a> {
    Int(i128),
    Text(&'a str),
}

impl PyRandom {
    fn init_genrand(s: u32) -> [u32; N] {
        let mut mt = [0u32; N];
        mt[0] = s;
        for i in 1..N {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        mt
    }

    fn init_by_array(key: &[u32]) -> [u32; N] {
        let mut mt = Self::init_genrand(19_650_218);
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        mt
    }

    /// `random.Random(seed)` (seeding version 2).
    pub(crate) fn new(seed: Seed) -> PyRandom {
        // The seed as a big-endian magnitude.
        let bytes: Vec<u8> = match seed {
            Seed::Int(i) => i.unsigned_abs().to_be_bytes().to_vec(),
            Seed::Text(s) => {
                let mut b = s.as_bytes().to_vec();
                b.extend_from_slice(&sha2::Sha512::digest(s.as_bytes()));
                b
            }
        };
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        let magnitude = &bytes[first..];
        // Little-endian 32-bit words of the integer, at least one.
        let mut key: Vec<u32> = magnitude
            .rchunks(4)
            .map(|c| c.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
            .collect();
        if key.is_empty() {
            key.push(0);
        }
        PyRandom {
            mt: Self::init_by_array(&key),
            index: N,
        }
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            for k in 0..N {
                let y = (self.mt[k] & 0x8000_0000) | (self.mt[(k + 1) % N] & 0x7fff_ffff);
                let mut v = self.mt[(k + M) % N] ^ (y >> 1);
                if y & 1 != 0 {
                    v ^= 0x9908_b0df;
                }
                self.mt[k] = v;
            }
            self.index = 0;
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// `getrandbits(k)` for k <= 128.
    fn getrandbits(&mut self, k: u32) -> u128 {
        if k == 0 {
            return 0;
        }
        if k <= 32 {
            return u128::from(self.next_u32() >> (32 - k));
        }
        // Words little-endian; the last (most significant) keeps its top bits.
        let words = k.div_ceil(32);
        let mut out: u128 = 0;
        let mut left = k;
        for w in 0..words {
            let mut r = self.next_u32();
            if left < 32 {
                r >>= 32 - left;
            }
            out |= u128::from(r) << (32 * w);
            left = left.saturating_sub(32);
        }
        out
    }

    /// `_randbelow(n)`: a uniform integer in [0, n).
    fn randbelow(&mut self, n: u128) -> u128 {
        let k = 128 - n.leading_zeros();
        let mut r = self.getrandbits(k);
        while r >= n {
            r = self.getrandbits(k);
        }
        r
    }

    /// `randrange(start, stop, step)`, `None` for an empty range.
    pub(crate) fn randrange(&mut self, start: i128, stop: i128, step: i128) -> Option<i128> {
        let width = stop - start;
        if step == 1 {
            return (width > 0).then(|| start + self.randbelow(width as u128) as i128);
        }
        let n = match step {
            s if s > 0 => (width + s - 1).div_euclid(s),
            s if s < 0 => (width + s + 1).div_euclid(s),
            _ => return None,
        };
        (n > 0).then(|| start + step * self.randbelow(n as u128) as i128)
    }

    /// `choice(seq)` as an index, `None` for an empty sequence.
    pub(crate) fn choice(&mut self, len: usize) -> Option<usize> {
        (len > 0).then(|| self.randbelow(len as u128) as usize)
    }

    /// `shuffle(x)` in place.
    pub(crate) fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.randbelow(i as u128 + 1) as usize;
            x.swap(i, j);
        }
    }
}
