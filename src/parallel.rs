//! Spreading independent work over the machine's cores, for the few places where one
//! request does enough of it to matter (reading and comparing the chapters of a release).

/// Splits `items` into one chunk per core and runs `work` on each in its own thread,
/// returning the results in chunk order. With fewer than `min` items, or one core, `work`
/// runs once on everything in the calling thread.
pub fn in_chunks<T: Send, R: Send>(
    items: Vec<T>,
    min: usize,
    work: impl Fn(Vec<T>) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < min.max(2) {
        return vec![work(items)];
    }
    let size = items.len().div_ceil(threads);
    let mut items = items;
    let mut chunks = Vec::with_capacity(threads);
    while items.len() > size {
        let rest = items.split_off(size);
        chunks.push(std::mem::replace(&mut items, rest));
    }
    chunks.push(items);
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || work(chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_order() {
        let items: Vec<u32> = (0..1000).collect();
        let sums = in_chunks(items.clone(), 10, |chunk| chunk);
        assert_eq!(sums.concat(), items);
        assert_eq!(in_chunks(vec![1, 2], 10, |c| c.len()), [2]);
    }
}
