#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a measurement tool

//! The machine's own ceiling for a batch on one and two threads (issue 17): how much faster
//! two threads do work with nothing in common, before any of shipgate's code is involved.
//!
//! - `compute`: a dependent chain of multiplies per item (no memory at all);
//! - `write`: 100,000 items of 760 bytes (a `Decision`'s size) written by the workers into a
//!   fresh vector allocated by the caller (76 MB of new pages), then dropped by the caller;
//! - `alloc`: the same, each item also holding three small heap blocks allocated on the worker
//!   (freed by the caller when the vector is dropped);
//! - `read`: each item reads 1 KiB of its own input, 100,000 inputs allocated one by one
//!   (100 MB, far beyond the caches), as deciding 100,000 distinct changes does;
//! - `all`: compute, read, alloc and write together, about one decision's worth each.
//!
//! Each is timed 7 times on 1 and on 2 threads; the median is printed, with the time the
//! caller then spends dropping the result (`drop`), and the ratio of 1 thread over 2 with
//! and without that drop.
//!
//! `cargo run --release -p shipgate-benches --example ceiling [compute|write|alloc|read|all]`

use std::hint::black_box;
use std::time::{Duration, Instant};

const N: usize = 100_000;

/// A decision's size, with three heap blocks as a decision has.
#[allow(dead_code)] // written, never read: the memory itself is what is measured
struct Item {
    blocks: [Vec<u8>; 3],
    words: [u64; 86],
}

fn chain(seed: u64, steps: u32) -> u64 {
    let mut x = seed | 1;
    for _ in 0..steps {
        x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (x >> 29);
    }
    x
}

/// The work of one item: `steps` multiplies, optionally reading its input and allocating.
fn item(i: usize, steps: u32, input: Option<&[Box<[u64; 128]>]>, alloc: bool) -> Item {
    let mut x = chain(i as u64, steps);
    if let Some(input) = input {
        for w in input[i].iter() {
            x = x.wrapping_add(*w);
        }
    }
    let blocks = if alloc {
        [vec![x as u8; 736], vec![1; 96], vec![2; 40]]
    } else {
        [Vec::new(), Vec::new(), Vec::new()]
    };
    Item {
        blocks,
        words: [x; 86],
    }
}

/// Items `0..N` made on `threads` threads, each writing its own half of the caller's vector.
fn batch(threads: usize, make: &(dyn Fn(usize) -> Item + Sync)) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::with_capacity(N);
    let spare = &mut out.spare_capacity_mut()[..N];
    let per = N.div_ceil(threads);
    std::thread::scope(|s| {
        for (k, part) in spare.chunks_mut(per).enumerate() {
            s.spawn(move || {
                for (j, slot) in part.iter_mut().enumerate() {
                    slot.write(make(k * per + j));
                }
            });
        }
    });
    // Every slot was written above: only the length is set (no second pass over the items).
    set_len(out)
}

#[allow(unsafe_code)]
fn set_len(mut out: Vec<Item>) -> Vec<Item> {
    // SAFETY: every slot of `0..N` was written by exactly one thread in `batch`.
    unsafe { out.set_len(N) };
    out
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn run(name: &str, make: &(dyn Fn(usize) -> Item + Sync)) {
    let mut rows = Vec::new();
    for threads in [1, 2] {
        let mut calls = Vec::new();
        let mut drops = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            let out = batch(threads, make);
            calls.push(t.elapsed());
            let t = Instant::now();
            drop(black_box(out));
            drops.push(t.elapsed());
        }
        let (call, drop) = (median(calls), median(drops));
        println!("{name:8} {threads} thread(s): call {call:>10.2?}  drop {drop:>10.2?}");
        rows.push((call, drop));
    }
    let (c1, d1) = rows[0];
    let (c2, d2) = rows[1];
    println!(
        "{name:8} 1 over 2: call alone {:.2}x, call and drop {:.2}x",
        c1.as_secs_f64() / c2.as_secs_f64(),
        (c1 + d1).as_secs_f64() / (c2 + d2).as_secs_f64()
    );
}

fn main() {
    let which: Vec<String> = std::env::args().skip(1).collect();
    let on = |n: &str| which.is_empty() || which.iter().any(|w| w == n);
    // About 2 us of multiplies per item: a decision of the batch on one thread.
    let steps = 2_000;
    if on("compute") {
        run("compute", &|i| item(i, steps, None, false));
    }
    if on("write") {
        run("write", &|i| item(i, 0, None, false));
    }
    if on("alloc") {
        run("alloc", &|i| item(i, 0, None, true));
    }
    let input: Vec<Box<[u64; 128]>> = if on("read") || on("all") {
        (0..N).map(|i| Box::new([i as u64; 128])).collect()
    } else {
        Vec::new()
    };
    if on("read") {
        run("read", &|i| item(i, 0, Some(&input), false));
    }
    if on("all") {
        run("all", &|i| item(i, steps / 4, Some(&input), true));
    }
}
