//! Many decisions at once ([`crate::Engine::evaluate_many`]): the changes are decided on
//! rayon's threads in pieces, and each piece's results stay in a vector of their own, made and
//! freed by the thread that decided them.
//!
//! Why pieces rather than one vector of every result: 100,000 results are 91 MB. One vector
//! that size is a fresh `mmap` on every batch, written through 22,000 page faults, and its
//! decisions' small heap blocks, freed by whichever thread drops them, go back to the
//! allocator arena of the thread that made them, under that arena's lock, which the other
//! thread then contends for. A piece of at most 1,024 results (under a megabyte) comes
//! from the deciding thread's own arena and returns to it, and the next batch reuses it.
//! `benches/examples/batch_parts.rs` times the call and the drop apart
//! (docs/performance.md, "Batches in pieces").

use std::sync::{Arc, Mutex};

use super::evaluate;
use crate::decision::Decision;
use crate::error::Error;
use crate::graph::Catalog;
use crate::input::Change;
use crate::time::Instant;

use super::Policy;

/// Batches smaller than this are decided on the calling thread: handing work to the pool costs
/// more.
const PARALLEL_FROM: usize = 64;

/// The most changes one piece of a batch holds. A piece is one unit of work that a thread
/// takes (or steals) and one vector of results. Were the pieces few and large, a thread that
/// finished first (its changes were cheaper, or the other thread was preempted) would wait
/// for the other's piece, up to a quarter of the batch; at 1,024 changes (a millisecond or
/// two of work) a batch of 100,000 is a hundred pieces to steal from, each costing the pool
/// about a microsecond, and each piece's results fit under a megabyte.
const PIECE: usize = 1_024;

/// The fewest changes of a piece of a batch shared between threads.
const PIECE_MIN: usize = 16;

/// One piece of a batch: the results of consecutive changes, and the index in its pool of
/// the thread that decided them (`None` on the calling thread).
struct Piece {
    owner: Option<usize>,
    results: Vec<Result<Decision, Error>>,
}

/// The results of a batch ([`crate::Engine::evaluate_many`]), in the order of its changes.
///
/// Read them by index (`decisions[i]`, [`Decisions::get`]), iterate over them
/// ([`Decisions::iter`], `for d in &decisions`), or take them by value (`for d in decisions`,
/// [`Decisions::into_vec`]). They are kept in pieces, each made by the thread that decided it;
/// dropped whole, a batch frees each piece on the thread that made it (see the module's
/// documentation for why). A result taken out of it is dropped wherever its owner drops it.
pub struct Decisions {
    /// Pieces of `piece` results each, the last one possibly shorter.
    pieces: Vec<Piece>,
    /// The results of each piece but the last.
    piece: usize,
    len: usize,
    /// The pool of the batch when it had one of its own (not rayon's global pool): its
    /// threads free the pieces they made.
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl Decisions {
    /// How many results: one per change of the batch.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the batch had no change.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The result of the `i`-th change, if there is one.
    pub fn get(&self, i: usize) -> Option<&Result<Decision, Error>> {
        self.pieces.get(i / self.piece)?.results.get(i % self.piece)
    }

    /// The result of the `i`-th change, mutably, if there is one.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Result<Decision, Error>> {
        let piece = self.piece;
        self.pieces.get_mut(i / piece)?.results.get_mut(i % piece)
    }

    /// The results in the order of the changes.
    pub fn iter(&self) -> DecisionsIter<'_> {
        DecisionsIter(Flat {
            pieces: self.pieces.iter(),
            current: [].iter(),
            open: |p| p.results.iter(),
            left: self.len,
        })
    }

    /// The results in the order of the changes, mutably.
    pub fn iter_mut(&mut self) -> DecisionsIterMut<'_> {
        DecisionsIterMut(Flat {
            pieces: self.pieces.iter_mut(),
            current: [].iter_mut(),
            open: |p| p.results.iter_mut(),
            left: self.len,
        })
    }

    /// The results as one vector. This moves every result into a new vector as long as the
    /// batch (91 MB for 100,000 decisions), whose drop is then the caller's, on the caller's
    /// thread; iterating by value (`for d in decisions`) hands the results over without either.
    pub fn into_vec(mut self) -> Vec<Result<Decision, Error>> {
        let mut all = Vec::with_capacity(self.len);
        for piece in std::mem::take(&mut self.pieces) {
            all.extend(piece.results);
        }
        all
    }
}

/// The pieces of a batch as one sequence: the next result of the current piece, else of the
/// next piece (`open` gives a piece's results); the three iterators of [`Decisions`] are this
/// over borrowed, mutable and owned pieces.
struct Flat<P: Iterator, C> {
    pieces: P,
    current: C,
    open: fn(P::Item) -> C,
    left: usize,
}

impl<P: Iterator, C: Iterator> Iterator for Flat<P, C> {
    type Item = C::Item;
    fn next(&mut self) -> Option<C::Item> {
        loop {
            if let Some(result) = self.current.next() {
                self.left = self.left.saturating_sub(1);
                return Some(result);
            }
            self.current = (self.open)(self.pieces.next()?);
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// The results of a [`Decisions`], borrowed, in the order of the changes.
pub struct DecisionsIter<'a>(
    Flat<std::slice::Iter<'a, Piece>, std::slice::Iter<'a, Result<Decision, Error>>>,
);

impl<'a> Iterator for DecisionsIter<'a> {
    type Item = &'a Result<Decision, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for DecisionsIter<'_> {}
impl std::iter::FusedIterator for DecisionsIter<'_> {}

/// The results of a [`Decisions`], mutably borrowed, in the order of the changes.
pub struct DecisionsIterMut<'a>(
    Flat<std::slice::IterMut<'a, Piece>, std::slice::IterMut<'a, Result<Decision, Error>>>,
);

impl<'a> Iterator for DecisionsIterMut<'a> {
    type Item = &'a mut Result<Decision, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for DecisionsIterMut<'_> {}
impl std::iter::FusedIterator for DecisionsIterMut<'_> {}

/// The results of a [`Decisions`], by value, in the order of the changes (each is dropped
/// wherever its new owner drops it).
pub struct DecisionsIntoIter(
    Flat<std::vec::IntoIter<Piece>, std::vec::IntoIter<Result<Decision, Error>>>,
);

impl Iterator for DecisionsIntoIter {
    type Item = Result<Decision, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for DecisionsIntoIter {}
impl std::iter::FusedIterator for DecisionsIntoIter {}

impl IntoIterator for Decisions {
    type Item = Result<Decision, Error>;
    type IntoIter = DecisionsIntoIter;
    fn into_iter(mut self) -> DecisionsIntoIter {
        DecisionsIntoIter(Flat {
            pieces: std::mem::take(&mut self.pieces).into_iter(),
            current: Vec::new().into_iter(),
            open: |p| p.results.into_iter(),
            left: self.len,
        })
    }
}

impl<'a> IntoIterator for &'a Decisions {
    type Item = &'a Result<Decision, Error>;
    type IntoIter = DecisionsIter<'a>;
    fn into_iter(self) -> DecisionsIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Decisions {
    type Item = &'a mut Result<Decision, Error>;
    type IntoIter = DecisionsIterMut<'a>;
    fn into_iter(self) -> DecisionsIterMut<'a> {
        self.iter_mut()
    }
}

impl std::ops::Index<usize> for Decisions {
    type Output = Result<Decision, Error>;
    /// The result of the `i`-th change. Panics when `i` is not below [`Decisions::len`], as a
    /// slice does.
    fn index(&self, i: usize) -> &Result<Decision, Error> {
        &self.pieces[i / self.piece].results[i % self.piece]
    }
}

impl std::ops::IndexMut<usize> for Decisions {
    fn index_mut(&mut self, i: usize) -> &mut Result<Decision, Error> {
        let piece = self.piece;
        &mut self.pieces[i / piece].results[i % piece]
    }
}

impl From<Decisions> for Vec<Result<Decision, Error>> {
    fn from(d: Decisions) -> Vec<Result<Decision, Error>> {
        d.into_vec()
    }
}

impl std::fmt::Debug for Decisions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Drop for Decisions {
    fn drop(&mut self) {
        let pieces = std::mem::take(&mut self.pieces);
        if pieces.iter().all(|p| p.owner.is_none()) {
            return; // decided on the calling thread: dropped here
        }
        // Each thread of the batch's pool frees the pieces it made; a piece that no thread of
        // the pool made (the batch was decided in another pool) is freed below, here.
        let pieces: Vec<_> = pieces
            .into_iter()
            .map(|p| (p.owner, Mutex::new(p.results)))
            .collect();
        let free = || {
            rayon::broadcast(|thread| {
                for (owner, results) in &pieces {
                    if *owner == Some(thread.index())
                        && let Ok(mut results) = results.lock()
                    {
                        drop(std::mem::take(&mut *results));
                    }
                }
            })
        };
        match &self.pool {
            Some(pool) => pool.install(free),
            None => free(),
        };
    }
}

/// The pool a batch on `threads` threads runs in: the current one (rayon's global pool,
/// whose threads live as long as the process) when it has that many threads, else one of its
/// own; `None` also when no thread can be started (the batch then runs in the current one).
fn pool_for(threads: usize) -> Option<Arc<rayon::ThreadPool>> {
    if threads == rayon::current_num_threads() {
        return None;
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .ok()
        .map(Arc::new)
}

/// Decides `changes` on up to `threads` threads; results in input order.
///
/// The work goes to rayon's pool in pieces of at most [`PIECE`] changes, which its threads
/// take and steal from each other (no thread idles while another finishes a slow part); each
/// piece's results are a vector made by the thread that decided it. A panic while deciding one
/// change is that change's `Error::Internal`, never the host's crash.
pub fn evaluate_many<C: std::borrow::Borrow<Change> + Sync>(
    policy: &Policy,
    changes: &[C],
    catalog: &Catalog,
    now: Instant,
    threads: usize,
) -> Decisions {
    use rayon::prelude::*;
    let decide = |c: &C| -> Result<Decision, Error> {
        let c = c.borrow();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            evaluate(policy, c, catalog, now, false)
        }))
        .unwrap_or_else(|_| {
            Err(Error::Internal {
                message: format!(
                    "change {}: a worker panicked while evaluating (please report it)",
                    c.id
                ),
            })
        })
    };
    let len = changes.len();
    if threads <= 1 || len < PARALLEL_FROM {
        return Decisions {
            pieces: changes
                .chunks(PIECE)
                .map(|part| Piece {
                    owner: None,
                    results: part.iter().map(decide).collect(),
                })
                .collect(),
            piece: PIECE,
            len,
            pool: None,
        };
    }
    // A few pieces per thread at least, so that a small batch is shared too; no more threads
    // than pieces (a pool of a million threads for a thousand changes would only start them).
    let piece = len
        .div_ceil(threads.saturating_mul(4))
        .clamp(PIECE_MIN, PIECE);
    let threads = threads.min(len.div_ceil(piece));
    let work = || {
        changes
            .par_chunks(piece)
            .map(|part| Piece {
                owner: rayon::current_thread_index(),
                results: part.iter().map(decide).collect(),
            })
            .collect()
    };
    let pool = pool_for(threads);
    let pieces = match &pool {
        Some(pool) => pool.install(work),
        None => work(),
    };
    Decisions {
        pieces,
        piece,
        len,
        pool,
    }
}
