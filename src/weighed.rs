//! A least-recently-used cache bounded by the bytes it holds, not only by its entries: a
//! few huge values cannot fill memory, whatever a client asks for.

use std::hash::Hash;
use std::num::NonZeroUsize;

/// Something whose size in memory can be told, roughly.
pub trait Weigh {
    /// Bytes held (the heap part that matters; a little under is fine).
    fn weight(&self) -> usize;
}

impl<T: Weigh + ?Sized> Weigh for std::sync::Arc<T> {
    fn weight(&self) -> usize {
        T::weight(self)
    }
}

/// An LRU cache of at most `entries` values and about `bytes` bytes.
pub struct WeighedLru<K: Hash + Eq, V: Weigh> {
    lru: lru::LruCache<K, V>,
    held: usize,
    bytes: usize,
}

impl<K: Hash + Eq, V: Weigh> WeighedLru<K, V> {
    pub fn new(entries: usize, bytes: usize) -> WeighedLru<K, V> {
        WeighedLru {
            lru: lru::LruCache::new(NonZeroUsize::new(entries.max(1)).expect("not zero")),
            held: 0,
            bytes,
        }
    }

    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lru.get(key)
    }

    /// Keeps `value`, letting the least recently used go until it fits. A value larger
    /// than a quarter of the whole is not kept.
    pub fn put(&mut self, key: K, value: V) {
        let weight = value.weight();
        if weight > self.bytes / 4 {
            if let Some(old) = self.lru.pop(&key) {
                self.held -= old.weight();
            }
            return;
        }
        if let Some((_, old)) = self.lru.push(key, value) {
            self.held -= old.weight();
        }
        self.held += weight;
        while self.held > self.bytes {
            match self.lru.pop_lru() {
                Some((_, old)) => self.held -= old.weight(),
                None => break,
            }
        }
    }

    /// Bytes held now.
    pub fn held(&self) -> usize {
        self.held
    }

    pub fn len(&self) -> usize {
        self.lru.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lru.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Blob(usize);
    impl Weigh for Blob {
        fn weight(&self) -> usize {
            self.0
        }
    }

    #[test]
    fn bytes_bound_the_cache_whatever_the_entries() {
        let mut cache = WeighedLru::new(1000, 1000);
        for i in 0..100 {
            cache.put(i, Blob(200));
        }
        assert!(cache.held() <= 1000 && cache.len() == 5);
        assert!(cache.get(&99).is_some() && cache.get(&0).is_none());
        cache.put(7, Blob(251));
        assert!(cache.get(&7).is_none(), "too big to keep");
        // Replacing a value counts its weight once.
        cache.put(99, Blob(10));
        cache.put(99, Blob(20));
        assert_eq!(cache.held(), 4 * 200 + 20);
    }
}
