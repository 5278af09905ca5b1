//! The `eqlite` command-line tool: a thin shell over the library's [`eqlite::cli`]. It only does
//! I/O: lists input files (directories recursively, sorted by path), reads their bytes, and
//! prints the text the library returns (results on stdout, diagnostics on stderr), with a
//! progress bar for large inputs on a terminal. Exit codes are documented in `eqlite --help`.

/// Reading events is mostly building and dropping small trees, which mimalloc does faster than
/// the system allocator (docs/bench.md).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use eqlite::cli::{self, Output, Parsed, Run, Started};
    use std::io::{self, IsTerminal, Read, Write};
    use std::path::{Path, PathBuf};

    /// Bytes per read: large enough for the reader to spread a batch of lines over the cores.
    /// 2 MiB beat 1 MiB by about a tenth on the built-in rule (fewer batches, each a wait for
    /// the helpers); 256 KiB, 512 KiB, 4 MiB and 8 MiB were all slower (docs/bench.md,
    /// 2026-12-06 second run). The read-ahead's buffers stay within the memory goal (about
    /// 23 MB peak RSS).
    const READ_SIZE: usize = 2 << 20;
    /// Files up to this size are read without a read-ahead thread.
    const AHEAD_MIN: u64 = 4 << 20;

    /// Inputs larger than this (in total) get a progress bar when stderr is a terminal.
    const PROGRESS_MIN_BYTES: u64 = 8 << 20;

    pub fn main() -> i32 {
        let mut read = |path: &str| std::fs::read_to_string(path).map_err(|e| e.to_string());
        match cli::parse(std::env::args_os()) {
            Parsed::Exit {
                code,
                text,
                to_stdout,
            } => {
                if to_stdout {
                    print!("{text}");
                } else {
                    eprint!("{text}");
                }
                code
            }
            Parsed::Command(command) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                    .unwrap_or(0);
                match cli::start(*command, &mut read, now) {
                    Started::Run(run) => run_inputs(*run),
                    Started::Exit(out) => emit(&out),
                }
            }
        }
    }

    /// Prints an output; returns its exit code (1 if stdout is gone).
    fn emit(out: &Output) -> i32 {
        if write_out(out).is_err() {
            return 1;
        }
        out.code
    }

    fn write_out(out: &Output) -> io::Result<()> {
        if !out.stderr.is_empty() {
            io::stderr().write_all(out.stderr.as_bytes())?;
        }
        if !out.stdout.is_empty() {
            io::stdout().lock().write_all(out.stdout.as_bytes())?;
        }
        Ok(())
    }

    fn run_inputs(mut run: Run) -> i32 {
        let mut inputs = Vec::new();
        for path in run.inputs().to_vec() {
            if path == "-" {
                inputs.push(None);
            } else if let Err(e) = expand(Path::new(&path), &mut inputs) {
                let out = run.input_failed(&path, &e.to_string());
                if write_out(&out).is_err() {
                    return 1;
                }
            }
        }
        let progress = progress_bar(&inputs);
        let mut chunk = vec![0u8; READ_SIZE];
        for input in &inputs {
            if run.is_stopped() {
                break;
            }
            let label = match input {
                None => "stdin".to_string(),
                Some(path) => path.display().to_string(),
            };
            let file = match input {
                None => None,
                Some(path) => match std::fs::File::open(path) {
                    Ok(f) => Some(f),
                    Err(e) => {
                        let out = run.input_failed(&label, &e.to_string());
                        if write_out(&out).is_err() {
                            return 1;
                        }
                        continue;
                    }
                },
            };
            if write_out(&run.start_file(&label)).is_err() {
                return 1;
            }
            let mut write_failed = false;
            let mut feed = |bytes: &mut Vec<u8>| {
                if let Some(bar) = &progress {
                    bar.inc(bytes.len() as u64);
                }
                if write_out(&run.push_buf(bytes)).is_err() {
                    write_failed = true;
                    return false;
                }
                !run.is_stopped()
            };
            let read = match file {
                None => read_chunks(io::stdin().lock(), &mut chunk, &mut feed),
                // A small file is read here: a thread and fresh buffers per file cost more
                // than the reads they overlap (a directory of EVTX files is hundreds of them).
                Some(file) if file.metadata().is_ok_and(|m| m.len() <= AHEAD_MIN) => {
                    read_chunks(file, &mut chunk, &mut feed)
                }
                Some(file) => read_ahead(file, &mut feed),
            };
            if write_failed {
                return 1;
            }
            if let Err(e) = read {
                if write_out(&run.input_failed(&label, &e.to_string())).is_err() {
                    return 1;
                }
            }
            if write_out(&run.end_file()).is_err() {
                return 1;
            }
        }
        if let Some(bar) = &progress {
            bar.finish_and_clear();
        }
        let out = run.finish();
        if write_out(&out).is_err() || io::stdout().flush().is_err() {
            return 1;
        }
        out.code
    }

    /// Reads `source` in `chunk`-sized reads, handing each to `feed` until it returns false.
    /// (A pipe returns what it has, so a trickle on stdin is passed on as it comes.)
    fn read_chunks(
        mut source: impl Read,
        chunk: &mut [u8],
        feed: &mut dyn FnMut(&mut Vec<u8>) -> bool,
    ) -> io::Result<()> {
        let mut piece = Vec::new();
        loop {
            let n = read_some(&mut source, chunk)?;
            piece.clear();
            piece.extend_from_slice(chunk.get(..n).unwrap_or_default());
            if n == 0 || !feed(&mut piece) {
                return Ok(());
            }
        }
    }

    /// One `read`, retried when a signal interrupts it; 0 at the end.
    fn read_some(source: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match source.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// Like [`read_chunks`] for a file, read on a thread of its own a few chunks ahead, so the
    /// reads (a tenth of a pre-filtered run) overlap the engine's work. Not for stdin: a
    /// reader thread blocked on a pipe could not be stopped when the run stops early.
    ///
    /// Each read fills a buffer the run handed back (`push_buf` swaps it for the one it was
    /// given), into its spare capacity: no zeroing, and no copy of the chunk on the run's side.
    fn read_ahead(
        file: std::fs::File,
        feed: &mut dyn FnMut(&mut Vec<u8>) -> bool,
    ) -> io::Result<()> {
        use std::sync::mpsc::{channel, sync_channel};
        const AHEAD: usize = 3;
        std::thread::scope(|scope| {
            let (full_tx, full_rx) = sync_channel::<io::Result<Vec<u8>>>(AHEAD);
            let (empty_tx, empty_rx) = channel::<Vec<u8>>();
            scope.spawn(move || {
                let mut file = file;
                loop {
                    let mut buf = empty_rx.try_recv().unwrap_or_default();
                    buf.clear();
                    buf.reserve(READ_SIZE);
                    // (`read_to_end` retries a read a signal interrupted.)
                    let sent = match (&mut file).take(READ_SIZE as u64).read_to_end(&mut buf) {
                        Ok(0) => return,
                        Ok(_) => full_tx.send(Ok(buf)),
                        Err(e) => {
                            let _ = full_tx.send(Err(e));
                            return;
                        }
                    };
                    if sent.is_err() {
                        return; // the run stopped: nobody reads any more
                    }
                }
            });
            for piece in full_rx.iter() {
                let mut piece = piece?;
                if !feed(&mut piece) {
                    break;
                }
                let _ = empty_tx.send(piece);
            }
            Ok(())
        })
    }

    /// A byte-count progress bar on stderr, only for a terminal and large inputs (stdin counts
    /// as unknown size, so it never gets one).
    fn progress_bar(inputs: &[Option<PathBuf>]) -> Option<indicatif::ProgressBar> {
        if !io::stderr().is_terminal() || inputs.iter().any(Option::is_none) {
            return None;
        }
        let total: u64 = inputs
            .iter()
            .flatten()
            .filter_map(|path| std::fs::metadata(path).ok())
            .map(|meta| meta.len())
            .sum();
        if total < PROGRESS_MIN_BYTES {
            return None;
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
        ) {
            bar.set_style(style);
        }
        Some(bar)
    }

    /// Adds a file, or every regular file under a directory (recursively, sorted by path).
    fn expand(path: &Path, out: &mut Vec<Option<PathBuf>>) -> io::Result<()> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_dir() {
            out.push(Some(path.to_path_buf()));
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            let meta = std::fs::metadata(&entry)?;
            if meta.is_dir() {
                expand(&entry, out)?;
            } else if meta.is_file() {
                out.push(Some(entry));
            }
        }
        Ok(())
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(native::main())
}

// wasm32 test builds still link the binary target.
#[cfg(target_arch = "wasm32")]
fn main() {}
