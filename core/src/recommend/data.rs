//! Interactions as plain data, the key <-> dense index mapping, and the compressed sparse rows
//! every model reads.
//!
//! Models work on dense `u32` indices so that a score vector is a flat `Vec<f32>` and a row of the
//! user-item matrix is two contiguous slices; the [`KeyIndex`] translates the caller's keys (a
//! MovieLens integer, a [`crate::ids::ProductId`], a SKU string) at the edges only.

use std::collections::HashMap;
use std::hash::Hash;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One implicit-feedback event: `user` did something with `item` at `timestamp`.
///
/// `weight` is how strong the signal is (a purchase quantity, or a configured weight for a view or
/// an add-to-cart); `timestamp` is in seconds (any epoch, as long as every event uses the same one)
/// and drives time decay and the time-based splitters. An order's lines share the order's time, so
/// "the user's last basket" is "the user's events at their latest timestamp".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interaction<U, I> {
    /// Who.
    pub user: U,
    /// What.
    pub item: I,
    /// Strength of the signal; must be finite and positive.
    pub weight: f32,
    /// When, in seconds.
    pub timestamp: i64,
}

impl<U, I> Interaction<U, I> {
    /// An event with weight 1.
    pub fn new(user: U, item: I, timestamp: i64) -> Self {
        Interaction {
            user,
            item,
            weight: 1.0,
            timestamp,
        }
    }
}

/// What a shopper did with a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// An order line (the strongest signal).
    Purchase,
    /// The product was put in a cart.
    AddToCart,
    /// The product page was viewed.
    View,
}

/// A store event before it becomes an [`Interaction`]: an order line, an add-to-cart, a view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShopperEvent<U, I> {
    /// Who.
    pub user: U,
    /// Which product.
    pub item: I,
    /// What happened.
    pub kind: EventKind,
    /// When, in seconds (an order's lines share the order's time).
    pub timestamp: i64,
}

/// The weight each kind of event carries; a kind weighted 0 is left out of training.
///
/// An order line counts once whatever its quantity: a case of 24 cans is one decision, and
/// counting units would let bulk buys drown everything else.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventWeights {
    /// Weight of an order line.
    pub purchase: f32,
    /// Weight of an add-to-cart.
    pub add_to_cart: f32,
    /// Weight of a product view.
    pub view: f32,
}

impl Default for EventWeights {
    /// Orders only: views and carts are noisy and opt-in.
    fn default() -> Self {
        EventWeights {
            purchase: 1.0,
            add_to_cart: 0.0,
            view: 0.0,
        }
    }
}

impl EventWeights {
    /// The weight of `kind`.
    pub fn weight(&self, kind: EventKind) -> f32 {
        match kind {
            EventKind::Purchase => self.purchase,
            EventKind::AddToCart => self.add_to_cart,
            EventKind::View => self.view,
        }
    }

    /// The weighted interactions for `events`, dropping kinds weighted zero.
    pub fn interactions<U: Clone, I: Clone>(
        &self,
        events: &[ShopperEvent<U, I>],
    ) -> Vec<Interaction<U, I>> {
        events
            .iter()
            .filter_map(|event| {
                let weight = self.weight(event.kind);
                (weight > 0.0).then(|| Interaction {
                    user: event.user.clone(),
                    item: event.item.clone(),
                    weight,
                    timestamp: event.timestamp,
                })
            })
            .collect()
    }
}

/// A bidirectional map between external keys and dense indices `0..len`, in first-seen order.
///
/// Serialized as the plain list of keys; the reverse map is rebuilt on load.
#[derive(Clone, Debug)]
pub struct KeyIndex<K> {
    keys: Vec<K>,
    positions: HashMap<K, u32>,
}

impl<K: Clone + Eq + Hash> KeyIndex<K> {
    /// An empty index.
    pub fn new() -> Self {
        KeyIndex {
            keys: Vec::new(),
            positions: HashMap::new(),
        }
    }

    /// The index of `key`, adding it if it is new.
    pub fn insert(&mut self, key: &K) -> u32 {
        if let Some(&position) = self.positions.get(key) {
            return position;
        }
        let position = u32::try_from(self.keys.len()).expect("more than u32::MAX distinct keys");
        self.keys.push(key.clone());
        self.positions.insert(key.clone(), position);
        position
    }

    /// The index of `key`, if known.
    pub fn get(&self, key: &K) -> Option<u32> {
        self.positions.get(key).copied()
    }

    /// The key at `index`.
    pub fn key(&self, index: u32) -> &K {
        &self.keys[index as usize]
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// All keys in index order.
    pub fn keys(&self) -> &[K] {
        &self.keys
    }
}

impl<K: Clone + Eq + Hash> Default for KeyIndex<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Serialize> Serialize for KeyIndex<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.keys.serialize(serializer)
    }
}

impl<'de, K: DeserializeOwned + Clone + Eq + Hash> Deserialize<'de> for KeyIndex<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let keys = Vec::<K>::deserialize(deserializer)?;
        let mut index = KeyIndex::new();
        for key in &keys {
            index.insert(key);
        }
        if index.len() != keys.len() {
            return Err(serde::de::Error::custom("duplicate key in a key index"));
        }
        Ok(index)
    }
}

/// Compressed sparse rows of `f32`: row `r` holds `columns[offsets[r]..offsets[r+1]]` with the
/// matching `values`, columns strictly increasing within a row (so a lookup is a binary search).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SparseRows {
    offsets: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f32>,
}

impl SparseRows {
    /// `rows` empty rows.
    pub fn empty(rows: usize) -> Self {
        SparseRows {
            offsets: vec![0; rows + 1],
            columns: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Builds from `(row, column, value)` triplets, summing duplicates.
    pub fn from_triplets(rows: usize, mut triplets: Vec<(u32, u32, f32)>) -> Self {
        triplets.sort_unstable_by_key(|&(row, column, _)| (row, column));
        let mut offsets = vec![0usize; rows + 1];
        let mut columns = Vec::with_capacity(triplets.len());
        let mut values: Vec<f32> = Vec::with_capacity(triplets.len());
        let mut last: Option<(u32, u32)> = None;
        for (row, column, value) in triplets {
            if last == Some((row, column)) {
                *values.last_mut().expect("a previous entry exists") += value;
                continue;
            }
            last = Some((row, column));
            offsets[row as usize + 1] += 1;
            columns.push(column);
            values.push(value);
        }
        for r in 0..rows {
            offsets[r + 1] += offsets[r];
        }
        SparseRows {
            offsets,
            columns,
            values,
        }
    }

    /// Builds from rows given in order, each already sorted by column without duplicates.
    pub fn from_sorted_rows(rows: impl IntoIterator<Item = Vec<(u32, f32)>>) -> Self {
        let mut matrix = SparseRows {
            offsets: vec![0],
            columns: Vec::new(),
            values: Vec::new(),
        };
        for row in rows {
            matrix.push_row(&row);
        }
        matrix
    }

    fn push_row(&mut self, row: &[(u32, f32)]) {
        debug_assert!(
            row.windows(2).all(|w| w[0].0 < w[1].0),
            "row columns must increase"
        );
        for &(column, value) in row {
            self.columns.push(column);
            self.values.push(value);
        }
        self.offsets.push(self.columns.len());
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.columns.len()
    }

    /// The columns and values of row `r` (empty past the last row).
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        if r >= self.rows() {
            return (&[], &[]);
        }
        let span = self.offsets[r]..self.offsets[r + 1];
        (&self.columns[span.clone()], &self.values[span])
    }

    /// The stored value at `(r, c)`, or zero.
    pub fn get(&self, r: usize, c: u32) -> f32 {
        let (columns, values) = self.row(r);
        columns.binary_search(&c).map_or(0.0, |at| values[at])
    }

    /// The transpose, with `columns` rows.
    pub fn transpose(&self, columns: usize) -> SparseRows {
        let mut counts = vec![0usize; columns + 1];
        for &c in &self.columns {
            counts[c as usize + 1] += 1;
        }
        for c in 0..columns {
            counts[c + 1] += counts[c];
        }
        let mut next = counts.clone();
        let mut out_columns = vec![0u32; self.nnz()];
        let mut out_values = vec![0f32; self.nnz()];
        for r in 0..self.rows() {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let at = next[c as usize];
                out_columns[at] = r as u32;
                out_values[at] = v;
                next[c as usize] += 1;
            }
        }
        SparseRows {
            offsets: counts,
            columns: out_columns,
            values: out_values,
        }
    }

    /// Replaces row `r` (growing the matrix with empty rows if needed); `row` sorted by column.
    pub fn replace_row(&mut self, r: usize, row: &[(u32, f32)]) {
        while self.rows() <= r {
            self.offsets.push(self.columns.len());
        }
        let span = self.offsets[r]..self.offsets[r + 1];
        let removed = span.len();
        self.columns
            .splice(span.clone(), row.iter().map(|&(c, _)| c));
        self.values.splice(span, row.iter().map(|&(_, v)| v));
        let shift = row.len() as isize - removed as isize;
        for offset in &mut self.offsets[r + 1..] {
            *offset = (*offset as isize + shift) as usize;
        }
    }

    /// Row `r` as owned `(column, value)` pairs.
    pub fn row_pairs(&self, r: usize) -> Vec<(u32, f32)> {
        let (columns, values) = self.row(r);
        columns
            .iter()
            .copied()
            .zip(values.iter().copied())
            .collect()
    }
}

/// Events translated to dense indices, with the key maps that translate back.
#[derive(Clone, Debug)]
pub struct IndexedInteractions<U, I> {
    /// User keys.
    pub users: KeyIndex<U>,
    /// Item keys.
    pub items: KeyIndex<I>,
    /// `(user, item, weight, timestamp)` per event, in input order.
    pub events: Vec<(u32, u32, f32, i64)>,
}

impl<U: Clone + Eq + Hash, I: Clone + Eq + Hash> IndexedInteractions<U, I> {
    /// Indexes `interactions`, keeping only events with a finite positive weight.
    pub fn new(interactions: &[Interaction<U, I>]) -> Self {
        Self::extend(KeyIndex::new(), KeyIndex::new(), interactions)
    }

    /// Indexes `interactions` on top of existing key maps (new keys get the next indices).
    pub fn extend(
        mut users: KeyIndex<U>,
        mut items: KeyIndex<I>,
        interactions: &[Interaction<U, I>],
    ) -> Self {
        let events = interactions
            .iter()
            .filter(|event| event.weight.is_finite() && event.weight > 0.0)
            .map(|event| {
                (
                    users.insert(&event.user),
                    items.insert(&event.item),
                    event.weight,
                    event.timestamp,
                )
            })
            .collect();
        IndexedInteractions {
            users,
            items,
            events,
        }
    }

    /// The latest timestamp, the reference "now" for decay (0 when there are no events).
    pub fn latest_timestamp(&self) -> i64 {
        self.events.iter().map(|event| event.3).max().unwrap_or(0)
    }
}

/// How much older events count: `2^(-(now - t) / half_life)`, or 1 without a half-life.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeDecay {
    /// Half-life in seconds; `None` means no decay.
    pub half_life_seconds: Option<f64>,
}

impl TimeDecay {
    /// No decay.
    pub const NONE: TimeDecay = TimeDecay {
        half_life_seconds: None,
    };

    /// Decay with a half-life in days.
    pub fn days(days: f64) -> Self {
        TimeDecay {
            half_life_seconds: Some(days * 86_400.0),
        }
    }

    /// The factor for an event at `timestamp` seen from `now`.
    pub fn factor(&self, now: i64, timestamp: i64) -> f32 {
        match self.half_life_seconds {
            Some(half_life) if half_life > 0.0 => {
                (-((now - timestamp) as f64) / half_life).exp2() as f32
            }
            _ => 1.0,
        }
    }
}

/// The user x item affinity matrix: per (user, item), `sum weight * decay(now, t)` over its events
/// (SAR's user affinity).
pub fn decayed_affinity(
    events: &[(u32, u32, f32, i64)],
    users: usize,
    now: i64,
    decay: TimeDecay,
) -> SparseRows {
    let triplets = events
        .iter()
        .map(|&(u, i, w, t)| (u, i, w * decay.factor(now, t)))
        .collect::<Vec<_>>();
    SparseRows::from_triplets(users, triplets)
}

/// A deterministic SplitMix64 generator.
///
/// Seeded splits and model initialisation must give the same numbers on every platform and
/// every version, which a general-purpose RNG crate does not promise across releases.
#[derive(Clone, Debug)]
pub struct SeededRng(u64);

impl SeededRng {
    /// A generator with `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..bound` (`bound > 0`).
    pub fn below(&mut self, bound: usize) -> usize {
        ((self.next_u64() as u128 * bound as u128) >> 64) as usize
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, values: &mut [T]) {
        for i in (1..values.len()).rev() {
            values.swap(i, self.below(i + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_rows_sum_duplicates_and_transpose() {
        let m =
            SparseRows::from_triplets(3, vec![(2, 1, 1.0), (0, 4, 2.0), (0, 4, 0.5), (0, 1, 3.0)]);
        assert_eq!(m.row(0), (&[1u32, 4][..], &[3.0f32, 2.5][..]));
        assert_eq!(m.row(1), (&[][..], &[][..]));
        assert_eq!(m.get(2, 1), 1.0);
        assert_eq!(m.get(2, 0), 0.0);
        let t = m.transpose(5);
        assert_eq!(t.row(1), (&[0u32, 2][..], &[3.0f32, 1.0][..]));
        assert_eq!(t.row(4), (&[0u32][..], &[2.5f32][..]));
    }

    #[test]
    fn replace_row_shifts_later_rows() {
        let mut m = SparseRows::from_sorted_rows(vec![vec![(0, 1.0)], vec![(1, 2.0)]]);
        m.replace_row(0, &[(2, 5.0), (3, 6.0)]);
        m.replace_row(3, &[(0, 7.0)]);
        assert_eq!(m.row_pairs(0), vec![(2, 5.0), (3, 6.0)]);
        assert_eq!(m.row_pairs(1), vec![(1, 2.0)]);
        assert_eq!(m.row_pairs(2), vec![]);
        assert_eq!(m.row_pairs(3), vec![(0, 7.0)]);
    }

    #[test]
    fn decay_halves_per_half_life() {
        let decay = TimeDecay::days(30.0);
        assert_eq!(decay.factor(100, 100), 1.0);
        assert!((decay.factor(30 * 86_400, 0) - 0.5).abs() < 1e-6);
        assert_eq!(TimeDecay::NONE.factor(1_000_000, 0), 1.0);
    }

    #[test]
    fn key_index_round_trips_through_json() {
        let mut index = KeyIndex::new();
        assert_eq!(index.insert(&"b".to_string()), 0);
        assert_eq!(index.insert(&"a".to_string()), 1);
        assert_eq!(index.insert(&"b".to_string()), 0);
        let json = serde_json::to_string(&index).unwrap();
        let back: KeyIndex<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.get(&"a".to_string()), Some(1));
        assert!(serde_json::from_str::<KeyIndex<String>>(r#"["x","x"]"#).is_err());
    }

    #[test]
    fn event_weights_drop_zero_kinds() {
        let events = [
            ShopperEvent {
                user: 1,
                item: 7,
                kind: EventKind::Purchase,
                timestamp: 3,
            },
            ShopperEvent {
                user: 1,
                item: 8,
                kind: EventKind::View,
                timestamp: 4,
            },
            ShopperEvent {
                user: 1,
                item: 9,
                kind: EventKind::AddToCart,
                timestamp: 5,
            },
        ];
        let interactions = EventWeights::default().interactions(&events);
        assert_eq!(interactions, vec![Interaction::new(1, 7, 3)]);
        let weights = EventWeights {
            view: 0.1,
            add_to_cart: 0.3,
            ..EventWeights::default()
        };
        let weighted: Vec<f32> = weights
            .interactions(&events)
            .iter()
            .map(|e| e.weight)
            .collect();
        assert_eq!(weighted, vec![1.0, 0.1, 0.3]);
    }

    #[test]
    fn seeded_rng_is_reproducible() {
        let mut a = SeededRng::new(7);
        let mut b = SeededRng::new(7);
        let mut values: Vec<u32> = (0..10).collect();
        a.shuffle(&mut values);
        let mut again: Vec<u32> = (0..10).collect();
        b.shuffle(&mut again);
        assert_eq!(values, again);
        assert_ne!(values, (0..10).collect::<Vec<_>>());
    }
}
