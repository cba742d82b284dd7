//! A disk cache of what building a [`CollisionModel`] computes once per robot: which
//! self-collision pairs can ever collide and their distance tables (≈ 0.14–0.2 s for the Panda;
//! the scene does not enter). A second process with the same robot reads them back in a few
//! milliseconds.
//!
//! Where: `$MACE_CACHE_DIR` if set (`off` disables the cache), else `$XDG_CACHE_HOME/mace`,
//! else `$HOME/.cache/mace`. One file per robot geometry, `collision-<key>.bin`, named by a
//! fingerprint of everything the computation reads (the chain's kinematics, its collision
//! shapes, the candidate pairs, the grid sizes and this format's version). A file is checked
//! whole (magic, key, sizes, a checksum, finite values, pairs among the candidates) before use;
//! anything wrong and the tables are computed again and the file rewritten. Writes go through a
//! temporary file and a rename, so concurrent processes never read half a file. A cache that
//! cannot be written (read-only home, full disk) only costs the time.

use std::path::PathBuf;
use std::sync::Arc;

use super::table::{Axis, PairTable};
use super::CollisionModel;

/// Bump when the tables' meaning or this layout changes.
const VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"MACECOL\0";
/// Grid points per joint of one- and two-joint tables (see `prune.rs`).
pub(super) const GRID_ONE: usize = 4001;
pub(super) const GRID_TWO: usize = 201;

/// FNV-1a, 64 bits: stable across runs and platforms.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn eat(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn f32s(&mut self, v: impl IntoIterator<Item = f32>) {
        for x in v {
            self.eat(&x.to_bits().to_le_bytes());
        }
    }
    fn usize(&mut self, x: usize) {
        self.eat(&(x as u64).to_le_bytes());
    }
}

/// The folder of the cache, or `None` when disabled or no home is known.
fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("MACE_CACHE_DIR") {
        return (d != "off" && !d.is_empty()).then(|| PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("mace"));
    }
    std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .map(|h| PathBuf::from(h).join(".cache/mace"))
}

/// The fingerprint of what pruning `candidates`, self pairs of `model`, reads.
fn key(model: &CollisionModel, candidates: &[(usize, usize)]) -> u64 {
    let mut h = Fnv::new();
    h.eat(MAGIC);
    h.eat(&VERSION.to_le_bytes());
    h.usize(GRID_ONE);
    h.usize(GRID_TWO);
    h.eat(model.chain.kinematics_hash().as_bytes());
    h.usize(model.geo.len());
    for &g in &model.geo {
        h.usize(g);
    }
    for (s, &(lo, hi)) in model.shape_range.iter().enumerate() {
        h.usize(s);
        h.usize(lo);
        h.usize(hi);
    }
    for shape in &model.shapes {
        h.usize(shape.caps.0);
        h.usize(shape.caps.1);
        if let Some(hull) = &shape.hull {
            h.f32s([hull.margin()]);
            h.f32s(hull.vertices().flatten());
        }
    }
    for c in &model.caps {
        h.f32s(c.a.into_iter().chain(c.b).chain([c.radius]));
    }
    for &(a, b) in candidates {
        h.usize(a);
        h.usize(b);
    }
    h.0
}

/// What the pruning found: the kept pairs and their tables.
pub(super) type Pruned = (Vec<(usize, usize)>, Vec<Option<Arc<PairTable>>>);

/// The cached result of pruning `model`'s self pairs (the candidates), if a valid one is on
/// disk.
pub(super) fn load(model: &CollisionModel) -> Option<Pruned> {
    let key = key(model, &model.self_pairs);
    let path = cache_dir()?.join(format!("collision-{key:016x}.bin"));
    // A robot's tables are a few MB at most; anything larger is not ours.
    let bytes = mace_core::fs::read_file(&path, 256 << 20).ok()?;
    decode(&bytes, model, &model.self_pairs, key)
}

/// Stores `pruned`, the result of pruning `model`'s self pairs (the candidates); failures are
/// ignored.
pub(super) fn store(model: &CollisionModel, pruned: &Pruned) {
    let Some(dir) = cache_dir() else { return };
    let key = key(model, &model.self_pairs);
    let path = dir.join(format!("collision-{key:016x}.bin"));
    let _ = mace_core::fs::write_file(&path, &encode(key, pruned), true);
}

fn encode(key: u64, (pairs, tables): &Pruned) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&key.to_le_bytes());
    let u32le = |out: &mut Vec<u8>, x: usize| out.extend_from_slice(&(x as u32).to_le_bytes());
    u32le(&mut out, pairs.len());
    for (&(a, b), table) in pairs.iter().zip(tables) {
        u32le(&mut out, a);
        u32le(&mut out, b);
        match table {
            None => out.push(0),
            Some(t) => {
                out.push(1);
                u32le(&mut out, t.axes.len());
                for ax in &t.axes {
                    u32le(&mut out, ax.dof);
                    u32le(&mut out, ax.link);
                    out.extend_from_slice(&ax.lower.to_le_bytes());
                    out.extend_from_slice(&ax.upper.to_le_bytes());
                    u32le(&mut out, ax.points);
                }
                out.extend_from_slice(&t.margin.to_le_bytes());
                for v in &t.values {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
    let mut h = Fnv::new();
    h.eat(&out);
    out.extend_from_slice(&h.0.to_le_bytes());
    out
}

/// Reads little-endian values off a byte slice; every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize)
    }
    fn f32(&mut self) -> Option<f32> {
        Some(f32::from_le_bytes(self.take(4)?.try_into().ok()?)).filter(|x| x.is_finite())
    }
}

fn decode(
    bytes: &[u8],
    model: &CollisionModel,
    candidates: &[(usize, usize)],
    key: u64,
) -> Option<Pruned> {
    let body_len = bytes.len().checked_sub(8)?;
    let (body, sum) = bytes.split_at(body_len);
    let mut h = Fnv::new();
    h.eat(body);
    if sum != h.0.to_le_bytes() {
        return None;
    }
    let mut r = Reader { bytes: body, at: 0 };
    if r.take(8)? != MAGIC || r.take(4)? != VERSION.to_le_bytes() || r.take(8)? != key.to_le_bytes()
    {
        return None;
    }
    let n = r.u32()?;
    if n > candidates.len() {
        return None;
    }
    let (dof, links) = (model.chain.dof(), model.chain.links().len());
    let (mut pairs, mut tables) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let pair = (r.u32()?, r.u32()?);
        if !candidates.contains(&pair) {
            return None;
        }
        pairs.push(pair);
        match r.take(1)?[0] {
            0 => tables.push(None),
            1 => {
                let k = r.u32()?;
                let grid = match k {
                    1 => GRID_ONE,
                    2 => GRID_TWO,
                    _ => return None,
                };
                let mut axes = Vec::with_capacity(k);
                for _ in 0..k {
                    let ax = Axis {
                        dof: r.u32()?,
                        link: r.u32()?,
                        lower: r.f32()?,
                        upper: r.f32()?,
                        points: r.u32()?,
                    };
                    if ax.dof >= dof || ax.link >= links || ax.points != grid || ax.upper < ax.lower
                    {
                        return None;
                    }
                    axes.push(ax);
                }
                let margin = r.f32()?;
                let count = grid.pow(k as u32);
                let values = (0..count).map(|_| r.f32()).collect::<Option<Vec<_>>>()?;
                tables.push(Some(Arc::new(PairTable::new(axes, margin, values))));
            }
            _ => return None,
        }
    }
    (r.at == body.len()).then_some((pairs, tables))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Panda's model, its pruning result and the bytes of that result.
    fn panda() -> (CollisionModel, Pruned, u64, Vec<u8>) {
        let robot = crate::Robot::load("panda", &[]).unwrap();
        let model = CollisionModel::from_parts(&robot.chain, Vec::new(), true);
        let pruned: Pruned = (model.self_pairs.clone(), model.pair_tables.clone());
        let key = key(&model, &model.self_pairs);
        let bytes = encode(key, &pruned);
        (model, pruned, key, bytes)
    }

    #[test]
    fn a_model_read_back_from_its_bytes_is_the_model() {
        let (model, (pairs, tables), key, bytes) = panda();
        let (read_pairs, read_tables) = decode(&bytes, &model, &pairs, key).expect("decodes");
        assert_eq!(read_pairs, pairs);
        assert!(tables.iter().any(Option::is_some));
        for (a, b) in read_tables.iter().zip(&tables) {
            match (a, b) {
                (Some(a), Some(b)) => {
                    assert_eq!((a.values.len(), a.margin), (b.values.len(), b.margin));
                    assert!(a
                        .values
                        .iter()
                        .zip(&b.values)
                        .all(|(x, y)| x.to_bits() == y.to_bits()));
                }
                (None, None) => {}
                _ => panic!("a table went missing"),
            }
        }
    }

    #[test]
    fn damaged_or_foreign_bytes_are_not_used() {
        let (model, (pairs, _), key, bytes) = panda();
        // Any flipped byte fails the checksum; a cut file, too.
        for at in [0, 9, 20, bytes.len() / 2, bytes.len() - 1] {
            let mut b = bytes.clone();
            b[at] ^= 0x40;
            assert!(decode(&b, &model, &pairs, key).is_none(), "byte {at}");
        }
        assert!(decode(&bytes[..bytes.len() - 3], &model, &pairs, key).is_none());
        // Another robot's (another key) is refused even with a valid checksum.
        assert!(decode(&bytes, &model, &pairs, key ^ 1).is_none());
        // Pairs that are not candidates here.
        assert!(decode(&bytes, &model, &pairs[1..], key).is_none());
    }
}
