//! An ordered worker pool: jobs go in, results come out in submission order.
//!
//! Each job travels to a free worker through a bounded queue together with its own one-slot
//! reply channel; the submitter keeps the reply receivers in submission order. The number of
//! jobs in flight is capped, so memory is bounded by that cap times the job size, and a full
//! pipeline blocks (on a channel, never spinning) until the oldest job is collected. With one
//! thread, jobs run inline on the caller's thread and no thread is spawned; with more, the
//! workers start when a job first needs them, so that a small input (one small job) starts
//! none ([`INLINE_JOB_BYTES`]). A [`MemoryGate`]
//! shared by the workers lets only as many of them through a frame's memory-heavy phases at
//! once as its budget of bytes holds, and [`IdleCores`] lends the cores no worker is using to
//! the parts of the last frames.

use crate::frame::Resources;
use crossbeam_channel::{bounded, Receiver, Sender};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

/// A budget of bytes for the memory-heavy phases of frames (see [`Resources`]): a phase
/// enters while the needs of the phases inside, its own included, fit the budget, and always
/// when it would be alone.
///
/// The budget is what the heavy phases of half the workers (at least one) could need at
/// worst, [`HEAVY_BYTES_PER_BYTE`] times the frame size each, so the pool's peak is bounded as
/// if only those were let through; phases that need less, as prose's do (its block is a
/// third of the text), share it. Two workers coding 32 MiB frames of English then sort side by
/// side, while those of the mixed corpus, whose blocks are twice as long, take turns, as do
/// any two frames' word transforms (`frame::TRANSFORM_BYTES_PER_BYTE`).
#[derive(Clone)]
pub struct MemoryGate {
    state: Arc<(Mutex<Budget>, Condvar)>,
}

/// The bytes the phases inside the gate need, and how many there are.
struct Budget {
    limit: u64,
    used: u64,
    inside: usize,
}

/// Frames up to this size pass the gate freely: two workers' heavy phases then fit in about
/// 140 MiB together (measured at `-2`, 16 MiB frames), and taking turns would cost the fast
/// levels speed (at `-1` the sort and the inverse BWT are a third of a frame's time, and
/// decoding slowed by a third).
pub const FREE_FRAME_SIZE: u64 = 16 << 20;

/// The most memory a heavy phase takes per byte of its block, beyond the block: the suffix
/// sort's suffix array (four bytes) and BWT (one), or the inverse BWT's index and output (four
/// bytes and one for blocks of 64 MiB or more, three bytes and up to two bits and one below,
/// which is left as a margin).
pub const HEAVY_BYTES_PER_BYTE: u64 = 5;

impl MemoryGate {
    /// The budget of `workers` threads coding frames of up to `frame_size` bytes.
    pub fn budget(workers: usize, frame_size: u64) -> u64 {
        if frame_size <= FREE_FRAME_SIZE {
            u64::MAX
        } else {
            (workers as u64 / 2).max(1) * HEAVY_BYTES_PER_BYTE * frame_size
        }
    }

    /// A gate with a budget of `limit` bytes.
    pub fn new(limit: u64) -> Self {
        let budget = Budget {
            limit,
            used: 0,
            inside: 0,
        };
        MemoryGate {
            state: Arc::new((Mutex::new(budget), Condvar::new())),
        }
    }
}

/// Gives a phase's bytes back when it ends, also when it unwinds.
struct Permit<'a> {
    state: &'a (Mutex<Budget>, Condvar),
    bytes: u64,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let (budget, wake) = self.state;
        let mut budget = budget.lock().unwrap_or_else(PoisonError::into_inner);
        budget.used -= self.bytes;
        budget.inside -= 1;
        drop(budget);
        wake.notify_all();
    }
}

impl MemoryGate {
    /// Runs `phase`, which needs `bytes`, once the gate holds it (see [`Resources::pass`]).
    pub fn pass<T>(&self, bytes: u64, phase: impl FnOnce() -> T) -> T {
        let (budget, wake) = &*self.state;
        let mut state = budget.lock().unwrap_or_else(PoisonError::into_inner);
        while state.inside > 0 && state.used.saturating_add(bytes) > state.limit {
            state = wake.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        state.used += bytes;
        state.inside += 1;
        drop(state);
        let _permit = Permit {
            state: &self.state,
            bytes,
        };
        phase()
    }
}

/// The cores of a pool's threads that no job is using: the parts of a frame's block
/// ([`Resources::parts`]) go to the thread coding the frame and, once no more frames are
/// coming ([`IdleCores::lend`]), to any core that falls idle while parts remain (the other
/// worker, once the stream's other frames are done). Lent sooner, a core idle for the moment
/// between two frames took a part and then ran beside the next frame: three threads on two
/// cores, and 100 MB decoded 11 % slower. A core no worker has (a memory limit left fewer
/// workers than cores) is lent from the start: no frame can come to it.
#[derive(Clone)]
pub struct IdleCores {
    state: Arc<(Mutex<CoreState>, Condvar)>,
    cores: usize,
    /// Whether some cores have no worker, so that idle cores are always lent.
    spare: bool,
}

/// How many cores are busy, and whether idle ones are lent.
struct CoreState {
    busy: usize,
    lending: bool,
}

/// Counts a core busy until dropped: that of a job from its submission (a worker that has
/// not picked it up yet is not idle) to its end, or one a job's part has taken.
pub struct Busy(Arc<(Mutex<CoreState>, Condvar)>);

impl Drop for Busy {
    fn drop(&mut self) {
        let (state, freed) = &*self.0;
        state.lock().unwrap_or_else(PoisonError::into_inner).busy -= 1;
        freed.notify_all();
    }
}

impl IdleCores {
    /// `cores` cores, all idle, of which `workers` run a pool's workers. Idle cores are lent
    /// once [`IdleCores::lend`] says so, or from the start if some cores have no worker (a
    /// part still takes a core only while fewer than `cores` are busy).
    pub fn new(cores: usize, workers: usize) -> Self {
        let spare = cores > workers;
        let state = CoreState {
            busy: 0,
            lending: spare,
        };
        IdleCores {
            state: Arc::new((Mutex::new(state), Condvar::new())),
            cores,
            spare,
        }
    }

    /// Whether idle cores may take parts: `true` once the frames in flight are the last ones
    /// for now (the encoder is finishing, the decoder has reached a stream's footer, a range
    /// decodes one frame at a time); always `true` with spare cores.
    pub fn lend(&self, lending: bool) {
        self.state
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .lending = lending || self.spare;
        self.state.1.notify_all();
    }

    /// Whether cores are lent now (see [`Resources::lends_cores`]); never with one core.
    pub fn lends_cores(&self) -> bool {
        self.cores > 1
            && self
                .state
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .lending
    }

    /// See [`Resources::with_idle_core`]: a core is claimed if one is lent and idle now.
    pub fn with_idle_core<T>(&self, job: impl FnOnce(usize) -> T) -> T {
        let claimed = {
            let mut state = self.state.0.lock().unwrap_or_else(PoisonError::into_inner);
            self.has_core_to_lend(&state).then(|| {
                state.busy += 1;
                Busy(Arc::clone(&self.state))
            })
        };
        job(1 + usize::from(claimed.is_some()))
    }

    /// Whether a core is lent and idle in `state` (never with one core).
    fn has_core_to_lend(&self, state: &CoreState) -> bool {
        self.cores > 1 && state.lending && state.busy < self.cores
    }

    /// Counts a core busy for a job about to be submitted, until the returned guard drops
    /// (the job holds it).
    pub fn occupy(&self) -> Busy {
        let mut state = self.state.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.busy += 1;
        Busy(Arc::clone(&self.state))
    }

    /// Waits for a core to lend and claims it, or returns `None` once `done()` holds.
    fn claim(&self, done: impl Fn() -> bool) -> Option<Busy> {
        let (state, freed) = &*self.state;
        let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
        while !self.has_core_to_lend(&s) && !done() {
            s = freed.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
        if done() {
            return None;
        }
        s.busy += 1;
        Some(Busy(Arc::clone(&self.state)))
    }

    /// See [`Resources::parts`]: the caller takes parts in order; a helper thread per further
    /// part waits for a core to lend and takes the next part left, if any.
    pub fn parts<T: Send>(&self, count: usize, part: impl Fn(usize) -> T + Sync) -> Vec<T> {
        if count <= 1 || self.cores <= 1 {
            return (0..count).map(part).collect();
        }
        let next = AtomicUsize::new(0);
        let all_taken = || next.load(Ordering::Acquire) >= count;
        let take = || {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::AcqRel);
                if i >= count {
                    return done;
                }
                done.push((i, part(i)));
            }
        };
        let mut done = std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..count)
                .map(|_| {
                    scope.spawn(|| match self.claim(all_taken) {
                        Some(_core) => take(),
                        None => Vec::new(),
                    })
                })
                .collect();
            let mut done = {
                let _end = NoPartsLeft {
                    next: &next,
                    count,
                    state: &self.state,
                };
                take()
            };
            for helper in helpers {
                done.extend(
                    helper
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
            }
            done
        });
        done.sort_unstable_by_key(|&(i, _)| i);
        done.into_iter().map(|(_, result)| result).collect()
    }
}

/// Once the caller of [`IdleCores::parts`] has taken its last part (or unwinds from one),
/// no part is left for the helpers still waiting for a core: they are woken to end.
struct NoPartsLeft<'a> {
    next: &'a AtomicUsize,
    count: usize,
    state: &'a (Mutex<CoreState>, Condvar),
}

impl Drop for NoPartsLeft<'_> {
    fn drop(&mut self) {
        self.next.fetch_max(self.count, Ordering::AcqRel);
        drop(self.state.0.lock().unwrap_or_else(PoisonError::into_inner));
        self.state.1.notify_all();
    }
}

impl Resources for IdleCores {
    fn pass<T>(&self, _bytes: u64, phase: impl FnOnce() -> T) -> T {
        phase()
    }

    fn parts<T: Send>(&self, count: usize, part: impl Fn(usize) -> T + Sync) -> Vec<T> {
        IdleCores::parts(self, count, part)
    }

    fn lends_cores(&self) -> bool {
        IdleCores::lends_cores(self)
    }

    fn with_idle_core<T>(&self, job: impl FnOnce(usize) -> T) -> T {
        IdleCores::with_idle_core(self, job)
    }
}

/// What the frames of a pool share: its memory gate and its idle cores.
#[derive(Clone)]
pub struct Shares {
    /// The memory budget of heavy phases.
    pub gate: MemoryGate,
    /// The cores no worker is using.
    pub cores: IdleCores,
}

impl Resources for Shares {
    fn pass<T>(&self, bytes: u64, phase: impl FnOnce() -> T) -> T {
        self.gate.pass(bytes, phase)
    }

    fn parts<T: Send>(&self, count: usize, part: impl Fn(usize) -> T + Sync) -> Vec<T> {
        self.cores.parts(count, part)
    }

    fn lends_cores(&self) -> bool {
        self.cores.lends_cores()
    }

    fn with_idle_core<T>(&self, job: impl FnOnce(usize) -> T) -> T {
        self.cores.with_idle_core(job)
    }
}

/// A first job smaller than this runs inline when the pool has no workers yet; a larger one,
/// or any second job, starts them. Starting and stopping two workers cost `sigma -c` of a
/// 12-byte file 0.1 ms of its 2.5 ms and `sigma -dc` 0.3 ms of its 1.9 ms, more than a job
/// this small (7 ms of coding at the default level) gains beside the next one, and most small
/// files are one such job.
pub const INLINE_JOB_BYTES: u64 = 64 << 10;

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
    /// Workers to start when a job needs them (1: none, jobs run inline).
    threads: usize,
    /// Whether a job was submitted yet.
    used: bool,
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
        OrderedPool {
            work,
            jobs: None,
            pending: VecDeque::new(),
            workers: Vec::new(),
            capacity,
            threads,
            used: false,
        }
    }

    fn start_workers(&mut self) {
        let (tx, rx) = bounded::<Job<J, R>>(self.capacity);
        for i in 0..self.threads {
            let rx = rx.clone();
            let work = Arc::clone(&self.work);
            let handle = std::thread::Builder::new()
                .name(format!("sigma-worker-{i}"))
                .spawn(move || {
                    for (job, reply) in rx {
                        // The receiver is gone only if the pool was dropped mid-stream.
                        let _ = reply.send(work(job));
                    }
                })
                .expect("spawning a worker thread");
            self.workers.push(handle);
        }
        self.jobs = Some(tx);
    }

    /// Whether another job can be submitted without first collecting a result.
    pub fn has_room(&self) -> bool {
        self.pending.len() < self.capacity
    }

    /// Submits a job of about `size` bytes of input or output (which decides whether it is
    /// worth starting the workers for, see [`INLINE_JOB_BYTES`]). The caller must make room
    /// first (see [`OrderedPool::has_room`]).
    pub fn submit(&mut self, job: J, size: u64) {
        debug_assert!(self.has_room());
        let needs_workers = self.used || size >= INLINE_JOB_BYTES;
        if self.jobs.is_none() && self.threads > 1 && needs_workers {
            self.start_workers();
        }
        self.used = true;
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
                pool.submit(x, x * 4096);
            }
            while let Some(r) = pool.collect_next() {
                got.push(r.unwrap());
            }
            assert_eq!(got, (0..50).map(|x| x * x).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_budget_of_large_frames_is_half_the_workers_worst_case() {
        assert_eq!(MemoryGate::budget(2, FREE_FRAME_SIZE), u64::MAX);
        let frame = FREE_FRAME_SIZE + 1;
        for (workers, halves) in [(1, 1), (2, 1), (3, 1), (4, 2)] {
            let budget = halves * HEAVY_BYTES_PER_BYTE * frame;
            assert_eq!(
                MemoryGate::budget(workers, frame),
                budget,
                "{workers} workers"
            );
        }
    }

    #[test]
    fn the_gate_lets_in_what_fits_beside_the_phases_inside_and_a_phase_alone() {
        use std::sync::mpsc::{channel, RecvTimeoutError};
        use std::time::Duration;
        let gate = MemoryGate::new(100);
        // A phase that needs more than the whole budget still passes alone.
        assert_eq!(gate.pass(500, || 7), 7);
        let (release, released) = channel::<()>();
        let (entered, entries) = channel::<u64>();
        let holder = {
            let (gate, entered) = (gate.clone(), entered.clone());
            std::thread::spawn(move || {
                gate.pass(60, || {
                    entered.send(60).unwrap();
                    released.recv().unwrap();
                })
            })
        };
        assert_eq!(entries.recv_timeout(Duration::from_secs(10)), Ok(60));
        let try_pass = |bytes: u64| {
            let (gate, entered) = (gate.clone(), entered.clone());
            std::thread::spawn(move || gate.pass(bytes, || entered.send(bytes).unwrap()))
        };
        // 60 + 40 fits the budget of 100: in at once, beside the phase inside.
        let fits = try_pass(40);
        assert_eq!(entries.recv_timeout(Duration::from_secs(10)), Ok(40));
        fits.join().unwrap();
        // 60 + 41 does not: it waits until the phase inside ends.
        let waits = try_pass(41);
        assert_eq!(
            entries.recv_timeout(Duration::from_millis(200)),
            Err(RecvTimeoutError::Timeout)
        );
        release.send(()).unwrap();
        assert_eq!(entries.recv_timeout(Duration::from_secs(10)), Ok(41));
        waits.join().unwrap();
        holder.join().unwrap();
    }

    #[test]
    fn parts_go_to_idle_cores_once_they_are_lent() {
        use std::time::{Duration, Instant};
        // Each part waits for the other to start: both see it only if they run side by side.
        // Returns whether they did, and whether the caller took both (whichever thread takes
        // which part).
        let run = |cores: &IdleCores, wait: Duration| {
            let started = AtomicUsize::new(0);
            let parts = cores.parts(2, |_| {
                started.fetch_add(1, Ordering::AcqRel);
                let deadline = Instant::now() + wait;
                while started.load(Ordering::Acquire) < 2 && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                let met = started.load(Ordering::Acquire) == 2;
                (std::thread::current().id(), met)
            });
            let caller = std::thread::current().id();
            (
                parts.iter().all(|&(_, met)| met),
                parts.iter().all(|&(id, _)| id == caller),
            )
        };
        let (apart, side_by_side) = ((false, true), (true, false));
        let cores = IdleCores::new(2, 2);
        let _job = cores.occupy();
        // Not lent: the caller codes both parts, one after the other.
        assert!(!cores.lends_cores());
        assert_eq!(run(&cores, Duration::from_millis(100)), apart);
        // Lent, with the other core idle: a helper takes a part while the caller codes one.
        cores.lend(true);
        assert!(cores.lends_cores());
        assert_eq!(run(&cores, Duration::from_secs(30)), side_by_side);
        // Lent, but every core busy: the caller again.
        let _other = cores.occupy();
        assert_eq!(run(&cores, Duration::from_millis(100)), apart);
        // One thread has no core to lend.
        let alone = IdleCores::new(1, 1);
        alone.lend(true);
        assert!(!alone.lends_cores());
        // A core without a worker is lent from the start, and stays lent.
        let spare = IdleCores::new(2, 1);
        let _job = spare.occupy();
        assert!(spare.lends_cores());
        spare.lend(false);
        assert!(spare.lends_cores());
        assert_eq!(run(&spare, Duration::from_secs(30)), side_by_side);
        // Results come back in order, however many parts and threads.
        let cores = IdleCores::new(4, 4);
        cores.lend(true);
        assert_eq!(
            cores.parts(16, |i| i * i),
            (0..16).map(|i| i * i).collect::<Vec<_>>()
        );
    }

    #[test]
    fn dropping_a_busy_pool_does_not_hang() {
        let mut pool = OrderedPool::new(2, 4, |x: u64| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            x
        });
        for x in 0..4 {
            pool.submit(x, INLINE_JOB_BYTES);
        }
        drop(pool);
    }

    #[test]
    fn a_job_gets_a_second_thread_only_for_a_lent_idle_core_and_holds_it() {
        let cores = IdleCores::new(2, 2);
        let _job = cores.occupy();
        assert_eq!(cores.with_idle_core(|threads| threads), 1, "not lent");
        cores.lend(true);
        let nested = cores.with_idle_core(|threads| (threads, cores.with_idle_core(|t| t)));
        assert_eq!(
            nested,
            (2, 1),
            "the idle core is claimed while the job runs"
        );
        assert_eq!(
            cores.with_idle_core(|threads| threads),
            2,
            "and given back after"
        );
        let _other = cores.occupy();
        assert_eq!(
            cores.with_idle_core(|threads| threads),
            1,
            "every core busy"
        );
        assert_eq!(IdleCores::new(1, 1).with_idle_core(|threads| threads), 1);
    }

    #[test]
    fn workers_start_with_a_large_job_or_a_second_one() {
        let worker_names = |pool: &mut OrderedPool<u64, Option<String>>, size| {
            pool.submit(0, size);
            let name = pool.collect_next().unwrap().unwrap();
            (name, pool.workers.len())
        };
        let on_thread = |_: u64| std::thread::current().name().map(String::from);
        let caller = std::thread::current().name().map(String::from);
        // A small job alone runs inline; the next one starts the workers, as does a large one.
        let mut pool = OrderedPool::new(2, 2, on_thread);
        assert_eq!(worker_names(&mut pool, INLINE_JOB_BYTES - 1), (caller, 0));
        let (name, workers) = worker_names(&mut pool, 0);
        assert!(name.unwrap().starts_with("sigma-worker-"));
        assert_eq!(workers, 2);
        let mut pool = OrderedPool::new(2, 2, on_thread);
        let (name, workers) = worker_names(&mut pool, INLINE_JOB_BYTES);
        assert!(name.unwrap().starts_with("sigma-worker-"));
        assert_eq!(workers, 2);
        // One thread never starts any.
        let mut pool = OrderedPool::new(1, 2, on_thread);
        assert_eq!(worker_names(&mut pool, u64::MAX).1, 0);
        assert_eq!(worker_names(&mut pool, u64::MAX).1, 0);
    }
}
