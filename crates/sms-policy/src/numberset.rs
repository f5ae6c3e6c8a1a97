//! A memory-lean set of mobile numbers with O(1) look-up, for opt-in and opt-out lists.

use crate::error::PolicyError;
use crate::number::{MobileNumber, NumberFormat};
use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, Read};
use std::path::Path;

/// A set of mobile numbers: about 5–11 bytes per number (10 million numbers in well under
/// 200 MB).
///
/// A number is split into its 3-digit block (`1xx`, 100 buckets) and the remaining 8 digits,
/// which fit a `u32`; each block holds a hash set of those `u32`s.
#[derive(Debug, Clone)]
pub struct NumberSet {
    blocks: Vec<HashSet<u32, SeededHash>>,
    len: usize,
}

impl Default for NumberSet {
    fn default() -> Self {
        NumberSet::new()
    }
}

impl NumberSet {
    /// An empty set.
    pub fn new() -> Self {
        let hasher = SeededHash::random();
        NumberSet {
            blocks: (0..100)
                .map(|_| HashSet::with_hasher(hasher.clone()))
                .collect(),
            len: 0,
        }
    }

    /// A set of the given numbers.
    pub fn from_numbers(numbers: impl IntoIterator<Item = MobileNumber>) -> Self {
        let mut set = NumberSet::new();
        set.extend(numbers);
        set
    }

    fn split(n: MobileNumber) -> (usize, u32) {
        let v = n.as_u64();
        // v is 1xx_xxxx_xxxx: the block is the two digits after the leading 1.
        let block = ((v / 100_000_000) % 100) as usize;
        let rest = (v % 100_000_000) as u32;
        (block, rest)
    }

    /// Adds a number; true when it was not there yet.
    pub fn insert(&mut self, n: MobileNumber) -> bool {
        let (b, r) = Self::split(n);
        let added = self.blocks[b].insert(r);
        self.len += usize::from(added);
        added
    }

    /// Removes a number; true when it was there.
    pub fn remove(&mut self, n: MobileNumber) -> bool {
        let (b, r) = Self::split(n);
        let removed = self.blocks[b].remove(&r);
        self.len -= usize::from(removed);
        removed
    }

    /// Whether the number is in the set.
    #[inline]
    pub fn contains(&self, n: MobileNumber) -> bool {
        let (b, r) = Self::split(n);
        self.blocks[b].contains(&r)
    }

    /// Number of numbers in the set.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Reserves room for `additional` numbers spread evenly over the given 3-digit blocks
    /// (e.g. `[134, 135, …]`), so that a bulk load does not regrow repeatedly.
    pub fn reserve_in_blocks(&mut self, additional: usize, blocks: &[u32]) {
        let blocks: Vec<usize> = blocks
            .iter()
            .filter(|b| (100..200).contains(*b))
            .map(|b| (*b - 100) as usize)
            .collect();
        if blocks.is_empty() {
            return;
        }
        let each = additional / blocks.len();
        for b in blocks {
            self.blocks[b].reserve(each);
        }
    }

    /// Heap bytes held, estimated from capacities: each table slot is a 4-byte value plus a
    /// 1-byte control tag, slots are a power of two at most 7/8 full.
    pub fn heap_bytes(&self) -> usize {
        let tables: usize = self
            .blocks
            .iter()
            .map(|s| {
                let cap = s.capacity();
                if cap == 0 {
                    0
                } else {
                    let slots = (cap * 8 / 7).next_power_of_two();
                    slots * (std::mem::size_of::<u32>() + 1) + 16
                }
            })
            .sum();
        tables + self.blocks.capacity() * std::mem::size_of::<HashSet<u32, SeededHash>>()
    }

    /// Iterates over the numbers (in no particular order).
    pub fn iter(&self) -> impl Iterator<Item = MobileNumber> + '_ {
        self.blocks.iter().enumerate().flat_map(|(b, set)| {
            set.iter().map(move |r| {
                MobileNumber::from_u64(10_000_000_000 + b as u64 * 100_000_000 + u64::from(*r))
                    .expect("block and remainder rebuild a number that was valid when inserted")
            })
        })
    }

    /// Reads a file of numbers, one per line; `#` starts a comment, blank lines are skipped.
    ///
    /// Numbers may carry the `86`/`+86`/`0086` prefix; a malformed line is an error naming
    /// the file and line.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let mut set = NumberSet::new();
        set.load_into(path)?;
        Ok(set)
    }

    /// Adds the numbers of a file (format of [`NumberSet::load`]).
    pub fn load_into(&mut self, path: &Path) -> Result<(), PolicyError> {
        let file = std::fs::File::open(path).map_err(|e| PolicyError::io(path, e))?;
        let mut reader = std::io::BufReader::new(file);
        let mut line = String::new();
        let mut line_no = 0usize;
        loop {
            line.clear();
            // A line longer than this is not a number; the cap keeps a garbage file from
            // filling memory with one huge line.
            let read = (&mut reader)
                .take(4096)
                .read_line(&mut line)
                .map_err(|e| PolicyError::io(path, e))?;
            if read == 0 {
                break;
            }
            line_no += 1;
            if read == 4096 && !line.ends_with('\n') {
                return Err(PolicyError::Data {
                    file: path.display().to_string(),
                    line: line_no,
                    message: "line longer than 4096 bytes".into(),
                });
            }
            let body = line.split('#').next().unwrap_or("").trim();
            if body.is_empty() {
                continue;
            }
            let n = MobileNumber::parse_with(body, NumberFormat::default()).map_err(|e| {
                PolicyError::Data {
                    file: path.display().to_string(),
                    line: line_no,
                    message: format!("`{}`: {e}", crate::error::clip(body)),
                }
            })?;
            self.insert(n);
        }
        Ok(())
    }
}

impl Extend<MobileNumber> for NumberSet {
    fn extend<T: IntoIterator<Item = MobileNumber>>(&mut self, iter: T) {
        for n in iter {
            self.insert(n);
        }
    }
}

impl FromIterator<MobileNumber> for NumberSet {
    fn from_iter<T: IntoIterator<Item = MobileNumber>>(iter: T) -> Self {
        NumberSet::from_numbers(iter)
    }
}

/// A fast hash for integer keys with a per-process random seed.
///
/// The standard SipHash costs more than the rest of a look-up; keys here are small integers,
/// so a seeded 64-bit finaliser (murmur3 `fmix64`) is enough, and the random seed keeps an
/// outsider from choosing numbers that collide.
#[derive(Debug, Clone)]
pub struct SeededHash {
    seed: u64,
}

impl SeededHash {
    /// A hasher with a random seed.
    pub fn random() -> Self {
        let seed = std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64);
        SeededHash { seed }
    }
}

impl BuildHasher for SeededHash {
    type Hasher = SeededHasher;
    fn build_hasher(&self) -> SeededHasher {
        SeededHasher { state: self.seed }
    }
}

/// The hasher built by [`SeededHash`].
#[derive(Debug, Clone)]
pub struct SeededHasher {
    state: u64,
}

impl Hasher for SeededHasher {
    fn finish(&self) -> u64 {
        let mut h = self.state;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.state = (self.state ^ i)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn n(s: &str) -> MobileNumber {
        MobileNumber::parse(s).unwrap()
    }

    #[test]
    fn insert_contains_remove() {
        let mut set = NumberSet::new();
        assert!(set.insert(n("13800138000")));
        assert!(!set.insert(n("+8613800138000")));
        assert!(set.insert(n("19912345678")));
        assert_eq!(set.len(), 2);
        assert!(set.contains(n("13800138000")));
        assert!(!set.contains(n("13800138001")));
        assert!(!set.contains(n("14800138000")));
        assert!(set.remove(n("13800138000")));
        assert!(!set.remove(n("13800138000")));
        assert!(!set.contains(n("13800138000")));
        assert_eq!(set.len(), 1);
        let all: Vec<_> = set.iter().collect();
        assert_eq!(all, vec![n("19912345678")]);
    }

    #[test]
    fn loads_file_with_comments_and_reports_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let mut f = std::fs::File::create(&path).unwrap();
        writeln!(f, "# opt-in\n13800138000\n\n+8613900139000  # web form\n").unwrap();
        drop(f);
        let set = NumberSet::load(&path).unwrap();
        assert_eq!(set.len(), 2);
        assert!(set.contains(n("13900139000")));

        std::fs::write(&path, "13800138000\n1380013800\n").unwrap();
        let err = NumberSet::load(&path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("in.txt:2:"), "{msg}");
        assert!(msg.contains("10 digits"), "{msg}");
    }

    #[test]
    fn overlong_line_is_an_error_not_a_huge_allocation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.txt");
        std::fs::write(&path, "1".repeat(100_000)).unwrap();
        let err = NumberSet::load(&path).unwrap_err();
        assert!(err.to_string().contains("longer than 4096"), "{err}");
    }

    /// One million numbers across China Mobile's blocks: the capacity-based size stays under
    /// 20 bytes a number, i.e. under 200 MB for 10 million (see the ignored test for 10 M).
    #[test]
    fn memory_per_number_is_small() {
        let set = build(1_000_000);
        assert_eq!(set.len(), 1_000_000);
        let per = set.heap_bytes() as f64 / set.len() as f64;
        println!(
            "{} bytes for 1M numbers ({per:.1} B/number)",
            set.heap_bytes()
        );
        assert!(per < 20.0, "{per} bytes per number");
        assert!(set.contains(MobileNumber::from_u64(13_400_000_000).unwrap()));
    }

    fn build(count: u64) -> NumberSet {
        let blocks = [
            134u64, 135, 136, 137, 138, 139, 150, 151, 152, 157, 158, 159, 182, 187, 188, 198,
        ];
        let mut set = NumberSet::new();
        set.extend((0..count).map(|i| {
            let block = blocks[(i % blocks.len() as u64) as usize];
            // Spread within the block with a multiplicative step so numbers are not sequential.
            let rest = (i / blocks.len() as u64).wrapping_mul(2_654_435_761) % 100_000_000;
            MobileNumber::from_u64(block * 100_000_000 + rest).unwrap()
        }));
        set
    }

    #[test]
    #[ignore = "builds 10 million numbers; run with --release --ignored"]
    fn ten_million_numbers_under_200_mb() {
        let set = build(10_000_000);
        assert!(set.len() > 9_900_000);
        let bytes = set.heap_bytes();
        println!("{bytes} bytes for {} numbers", set.len());
        assert!(bytes < 200 * 1024 * 1024);
    }
}
