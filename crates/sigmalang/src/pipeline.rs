//! An ordered worker pool: jobs go in, results come out in submission order.
//!
//! Each job travels to a free worker through a bounded queue together with its own one-slot
//! reply channel; the submitter keeps the reply receivers in submission order. The number of
//! jobs in flight is capped, so memory is bounded by that cap times the job size, and a full
//! pipeline blocks (on a channel, never spinning) until the oldest job is collected. With one
//! thread, jobs run inline on the caller's thread and no thread is spawned. A [`MemoryGate`]
//! shared by the workers lets only some of them through a frame's memory-heavy phases at once.

use crate::frame::PeakGate;
use crossbeam_channel::{bounded, Receiver, Sender};
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

/// A counting semaphore over the memory-heavy phases of frames (see [`PeakGate`]).
///
/// With half the workers allowed through (at least one), a pool's peak holds that many
/// frames' suffix arrays or inverse-BWT tables, while the other workers code blocks, which
/// need about a block each. The phases take a small part of a frame's time, so workers that
/// have once waited for each other stay out of step and rarely wait again.
#[derive(Clone)]
pub struct MemoryGate {
    state: Arc<(Mutex<usize>, Condvar)>,
}

/// Frames up to this size pass the gate freely: two workers' heavy phases then fit in about
/// 140 MiB together (measured at `-2`, 16 MiB frames), and taking turns would cost the fast
/// levels speed (at `-1` the sort and the inverse BWT are a third of a frame's time, and
/// decoding slowed by a third).
pub const FREE_FRAME_SIZE: u64 = 16 << 20;

impl MemoryGate {
    /// How many of `workers` threads coding frames of up to `frame_size` bytes may be in a
    /// heavy phase at once.
    pub fn permits(workers: usize, frame_size: u64) -> usize {
        if frame_size <= FREE_FRAME_SIZE {
            workers
        } else {
            (workers / 2).max(1)
        }
    }

    /// A gate that lets `permits` workers through at once.
    pub fn new(permits: usize) -> Self {
        MemoryGate {
            state: Arc::new((Mutex::new(permits.max(1)), Condvar::new())),
        }
    }
}

/// Gives a permit back when the phase ends, also when it unwinds.
struct Permit<'a>(&'a (Mutex<usize>, Condvar));

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let (free, wake) = self.0;
        *free.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        wake.notify_one();
    }
}

impl PeakGate for MemoryGate {
    fn pass<T>(&self, phase: impl FnOnce() -> T) -> T {
        let (free, wake) = &*self.state;
        let mut permits = free.lock().unwrap_or_else(PoisonError::into_inner);
        while *permits == 0 {
            permits = wake.wait(permits).unwrap_or_else(PoisonError::into_inner);
        }
        *permits -= 1;
        drop(permits);
        let _permit = Permit(&self.state);
        phase()
    }
}

enum Pending<R> {
    Ready(R),
    Running(Receiver<R>),
}

type Job<J, R> = (J, Sender<R>);

/// The pool. Results must be collected with [`OrderedPool::collect_next`].
pub struct OrderedPool<J: Send + 'static, R: Send + 'static> {
    work: Arc<dyn Fn(J) -> R + Send + Sync>,
    jobs: Option<Sender<Job<J, R>>>,
    pending: VecDeque<Pending<R>>,
    workers: Vec<JoinHandle<()>>,
    capacity: usize,
}

/// A worker thread died (a bug: workers never panic on bad input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerLost;

impl<J: Send + 'static, R: Send + 'static> OrderedPool<J, R> {
    /// A pool of `threads` workers (inline when 1) holding at most `capacity` jobs in flight.
    pub fn new(
        threads: usize,
        capacity: usize,
        work: impl Fn(J) -> R + Send + Sync + 'static,
    ) -> Self {
        let work: Arc<dyn Fn(J) -> R + Send + Sync> = Arc::new(work);
        let capacity = capacity.max(1);
        let mut pool = OrderedPool {
            work,
            jobs: None,
            pending: VecDeque::new(),
            workers: Vec::new(),
            capacity,
        };
        if threads > 1 {
            let (tx, rx) = bounded::<Job<J, R>>(capacity);
            for i in 0..threads {
                let rx = rx.clone();
                let work = Arc::clone(&pool.work);
                let handle = std::thread::Builder::new()
                    .name(format!("sigma-worker-{i}"))
                    .spawn(move || {
                        for (job, reply) in rx {
                            // The receiver is gone only if the pool was dropped mid-stream.
                            let _ = reply.send(work(job));
                        }
                    })
                    .expect("spawning a worker thread");
                pool.workers.push(handle);
            }
            pool.jobs = Some(tx);
        }
        pool
    }

    /// Whether another job can be submitted without first collecting a result.
    pub fn has_room(&self) -> bool {
        self.pending.len() < self.capacity
    }

    /// Submits a job. The caller must make room first (see [`OrderedPool::has_room`]).
    pub fn submit(&mut self, job: J) {
        debug_assert!(self.has_room());
        match &self.jobs {
            None => self.pending.push_back(Pending::Ready((self.work)(job))),
            Some(jobs) => {
                let (tx, rx) = bounded(1);
                jobs.send((job, tx))
                    .expect("workers live as long as the pool");
                self.pending.push_back(Pending::Running(rx));
            }
        }
    }

    /// Collects the oldest result, waiting for it; `None` if nothing is in flight.
    pub fn collect_next(&mut self) -> Option<Result<R, WorkerLost>> {
        Some(match self.pending.pop_front()? {
            Pending::Ready(r) => Ok(r),
            Pending::Running(rx) => rx.recv().map_err(|_| WorkerLost),
        })
    }
}

impl<J: Send + 'static, R: Send + 'static> Drop for OrderedPool<J, R> {
    fn drop(&mut self) {
        // Closing the queue ends the workers once they finish their current job.
        self.jobs = None;
        self.pending.clear();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_order() {
        for threads in [1, 2, 4] {
            let mut pool = OrderedPool::new(threads, 3, |x: u64| {
                std::thread::sleep(std::time::Duration::from_micros((x * 7919) % 500));
                x * x
            });
            let mut got = Vec::new();
            for x in 0..50 {
                if !pool.has_room() {
                    got.push(pool.collect_next().unwrap().unwrap());
                }
                pool.submit(x);
            }
            while let Some(r) = pool.collect_next() {
                got.push(r.unwrap());
            }
            assert_eq!(got, (0..50).map(|x| x * x).collect::<Vec<_>>());
        }
    }

    #[test]
    fn with_large_frames_the_gate_lets_half_the_workers_through() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        for (workers, allowed) in [(1, 1), (2, 1), (3, 1), (4, 2)] {
            assert_eq!(MemoryGate::permits(workers, FREE_FRAME_SIZE), workers);
            assert_eq!(MemoryGate::permits(workers, FREE_FRAME_SIZE + 1), allowed);
            let gate = MemoryGate::new(allowed);
            let (inside, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
            let threads: Vec<_> = (0..workers + 2)
                .map(|_| {
                    let (gate, inside, most) = (gate.clone(), inside.clone(), most.clone());
                    std::thread::spawn(move || {
                        for _ in 0..20 {
                            gate.pass(|| {
                                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                                most.fetch_max(now, Ordering::SeqCst);
                                std::thread::sleep(std::time::Duration::from_micros(200));
                                inside.fetch_sub(1, Ordering::SeqCst);
                            });
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            assert!(most.load(Ordering::SeqCst) <= allowed, "{workers} workers");
        }
    }

    #[test]
    fn dropping_a_busy_pool_does_not_hang() {
        let mut pool = OrderedPool::new(2, 4, |x: u64| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            x
        });
        for x in 0..4 {
            pool.submit(x);
        }
        drop(pool);
    }
}
