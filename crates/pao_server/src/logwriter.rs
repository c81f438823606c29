//! The log writer of `pao serve`: log lines go through a bounded channel to one thread that
//! writes them to standard error in batches, so a handler never waits for a `write` system
//! call per line (at tens of thousands of calls a second that was a tenth of the time).
//!
//! Nothing is dropped: when the channel is full the logging thread waits (back-pressure). The
//! writer thread drains the channel, flushes, then pauses [`PAUSE`] before it looks again, so
//! under load it wakes about a thousand times a second instead of once per line (a wake-up per
//! line cost more than the write it saved); a line reaches standard error within about a
//! millisecond. [`LogGuard`] flushes what is left when dropped (at the end of `pao serve`).

use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

/// Lines waiting at most before a logging thread waits for the writer.
const CAPACITY: usize = 16_384;
/// How long the writer thread pauses after each drain.
const PAUSE: Duration = Duration::from_millis(1);

enum Message {
    Line(Vec<u8>),
    Flush(SyncSender<()>),
}

/// Where the subscriber writes: each line is handed to the writer thread (or, when no thread
/// could be started, written to standard error at once).
#[derive(Clone)]
pub struct ChannelWriter {
    sender: Option<SyncSender<Message>>,
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &self.sender {
            // A writer thread that is gone (standard error closed) takes nothing more: the
            // line is dropped rather than failing the call that logged it.
            Some(sender) => {
                let _ = sender.send(Message::Line(buf.to_vec()));
                Ok(buf.len())
            }
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Flushes the lines still queued when dropped.
#[must_use = "dropping the guard flushes the logs; keep it until the program ends"]
pub struct LogGuard {
    sender: Option<SyncSender<Message>>,
}

impl std::fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogGuard").finish_non_exhaustive()
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            let (done, wait) = sync_channel(1);
            if sender.send(Message::Flush(done)).is_ok() {
                let _ = wait.recv_timeout(Duration::from_secs(5));
            }
        }
    }
}

/// A writer for the subscriber, its writer thread on `out`, and the guard that flushes it.
pub fn channel(out: impl Write + Send + 'static) -> (ChannelWriter, LogGuard) {
    let (sender, receiver) = sync_channel(CAPACITY);
    match std::thread::Builder::new().name("pao-log".to_owned()).spawn(move || drain(&receiver, out)) {
        Ok(_) => (ChannelWriter { sender: Some(sender.clone()) }, LogGuard { sender: Some(sender) }),
        Err(_) => (ChannelWriter { sender: None }, LogGuard { sender: None }),
    }
}

fn drain(receiver: &Receiver<Message>, out: impl Write) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    while let Ok(first) = receiver.recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Line(line) => {
                    let _ = out.write_all(&line);
                }
                Message::Flush(done) => {
                    let _ = out.flush();
                    let _ = done.send(());
                }
            }
            next = receiver.try_recv().ok();
        }
        let _ = out.flush();
        std::thread::sleep(PAUSE);
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_arrives_in_order_by_the_time_the_guard_is_dropped() {
        let sink = Sink::default();
        let (writer, guard) = channel(sink.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut writer = writer.clone();
                std::thread::spawn(move || {
                    for n in 0..10_000 {
                        writer.write_all(format!("{t} {n}\n").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 40_000);
        for t in 0..4 {
            let mine: Vec<usize> =
                text.lines().filter_map(|l| l.strip_prefix(&format!("{t} "))).map(|n| n.parse().unwrap()).collect();
            assert_eq!(mine, (0..10_000).collect::<Vec<_>>(), "thread {t}'s lines in order");
        }
    }
}
