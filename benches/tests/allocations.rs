#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(unsafe_code)] // a counting global allocator, which only forwards to the system one

//! How many heap allocations one decision makes, counted by a global allocator: a number,
//! not a time, so it is the same on every machine and can be pinned by a test. The race
//! policy's decisions (allowed and denied) must stay within a small budget: allocation and
//! freeing were a quarter of a decision's cost before the decision's strings were shared.
//!
//! `cargo test -p shipgate-benches --test allocations -- --nocapture` prints the counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use shipgate_benches::{Race, now};

struct Counting;

thread_local! {
    /// Counting is on for this thread only: other threads (the test harness's) never count.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Blocks freed by this thread while `Some` (`frees`), apart from the counts above, so the
    /// two tests of this file can run at once.
    static FREES: Cell<Option<usize>> = const { Cell::new(None) };
}

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = FREES.try_with(|f| f.set(f.get().map(|n| n + 1)));
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counting() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    (ALLOCATIONS.load(Ordering::SeqCst), out)
}

/// Blocks freed by `f` on this thread.
fn frees(f: impl FnOnce()) -> usize {
    FREES.with(|c| c.set(Some(0)));
    f();
    FREES.with(|c| c.take()).unwrap_or(0)
}

#[test]
fn a_batch_on_two_threads_is_freed_on_them() {
    // Dropping a batch whole frees its decisions' blocks on the batch's threads, not on the
    // caller's (which then frees only the vector): on one thread the caller frees them all.
    let race = Race::new(2_000).unwrap();
    let batch = |threads| {
        race.engine
            .evaluate_many_on(&race.changes, &race.catalog, now(), threads)
    };
    let serial = batch(1);
    let parallel = batch(2);
    assert_eq!(serial.len(), parallel.len());
    let on_one = frees(|| drop(serial));
    let on_two = frees(|| drop(parallel));
    println!("blocks freed by the caller: {on_one} (1 thread), {on_two} (2 threads)");
    assert!(on_one >= 2 * race.changes.len(), "{on_one} blocks freed");
    assert!(on_two <= 8, "{on_two} blocks freed by the caller");
}

#[test]
fn a_race_decision_allocates_little() {
    let race = Race::new(2_000).unwrap();
    let allowed = race.find(|v| v.is_empty()).unwrap();
    let denied = race.find(|v| v.len() >= 3).unwrap();
    // Warm the engine's lazily built indexes first.
    for i in [allowed, denied] {
        race.engine
            .evaluate(&race.changes[i], &race.catalog, now(), false)
            .unwrap();
    }
    let mut worst = 0;
    let mut total = 0;
    for (i, change) in race.changes.iter().enumerate() {
        let (n, d) = allocations(|| race.engine.evaluate(change, &race.catalog, now(), false));
        let d = d.unwrap();
        worst = worst.max(n);
        total += n;
        if i == allowed || i == denied {
            println!(
                "change {i} ({:?}, {} requirements, {} reasons, {} waves): {n} allocations",
                d.verdict,
                d.requirements.len(),
                d.reasons.len(),
                d.order.len()
            );
        }
    }
    let mean = total as f64 / race.changes.len() as f64;
    println!("mean {mean:.1} allocations per decision, worst {worst}");
    println!(
        "a decision is {} bytes, a result of a batch {}",
        std::mem::size_of::<shipgate::Decision>(),
        std::mem::size_of::<Result<shipgate::Decision, shipgate::Error>>()
    );
    // The budget: the decision's own vectors (requirements, reasons, schedule regions beyond
    // one, waves beyond one, who counted beyond two), messages that quote the input, nothing per
    // rule evaluated. Measured 1 for the allowed and 2 for the pending decision above, a mean of
    // 7.5 and a worst of 16 over the corpus since the regions and the waves are inline (3, 3,
    // 8.8 and 17 before; the budget was 10 and 20, then 9.0 and 17, until then). Raise it only
    // with a reason.
    assert!(mean <= 8.0, "mean {mean:.1} allocations per decision");
    assert!(worst <= 16, "worst {worst} allocations per decision");
}
