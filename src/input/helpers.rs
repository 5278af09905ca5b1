//! The reader's helper threads (native only): started on first use and kept for the process, one
//! per extra core (at most three), shared by every reader. Readers split work whose result
//! depends only on its input (NDJSON line verdicts, whole EVTX chunks) into runs, and
//! [`run_all`] computes them on the helpers and the calling thread and returns the results in
//! order, so what a reader reports never depends on the number of threads. Threads are kept
//! rather than started per batch: starting them cost more than a batch of small lines, and each
//! new thread's allocator heap starts cold.

use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;

type Job = Box<dyn FnOnce() + Send>;

fn senders() -> &'static [Sender<Job>] {
    static HELPERS: OnceLock<Vec<Sender<Job>>> = OnceLock::new();
    HELPERS.get_or_init(|| {
        let cores = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .clamp(1, 4);
        (1..cores)
            .filter_map(|k| {
                let (tx, rx) = channel::<Job>();
                std::thread::Builder::new()
                    .name(format!("eqlite-reader-{k}"))
                    .spawn(move || {
                        while let Ok(job) = rx.recv() {
                            job();
                        }
                    })
                    .ok()
                    .map(|_| tx)
            })
            .collect()
    })
}

/// How many threads [`run_all`] spreads work over (the helpers and the caller).
pub(crate) fn threads() -> usize {
    senders().len() + 1
}

/// Runs every job, the last on this thread and the others on the helpers (one each), and returns
/// their results in order. A panic in a helper's job is resumed here, as if the job had run on
/// this thread; a job whose helper is gone runs here.
pub(crate) fn run_all<T: Send + 'static>(mut jobs: Vec<Box<dyn FnOnce() -> T + Send>>) -> Vec<T> {
    let mine = jobs.pop();
    let replies: Vec<_> = jobs
        .into_iter()
        .enumerate()
        .map(|(k, job)| {
            let (tx, rx) = channel();
            let job: Job = Box::new(move || {
                let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                let _ = tx.send(done);
            });
            match senders().get(k) {
                Some(helper) => {
                    if let Err(unsent) = helper.send(job) {
                        (unsent.0)();
                    }
                }
                None => job(),
            }
            rx
        })
        .collect();
    let mine = mine.map(|job| job());
    let mut out = Vec::with_capacity(replies.len() + 1);
    for rx in replies {
        match rx.recv() {
            Ok(Ok(done)) => out.push(done),
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // The job was dropped unrun: its helper died, which only a panic can do.
            Err(_) => std::panic::resume_unwind(Box::new("eqlite reader helper thread lost a job")),
        }
    }
    out.extend(mine);
    out
}
