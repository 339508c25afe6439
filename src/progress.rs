//! A spinner on stderr while the user waits (a Secret to be filled, a kubeconfig lock, a slow
//! server). Only on a terminal, only after a short delay (fast steps show nothing), never
//! with `--quiet`; colour only when `NO_COLOR` is unset and `TERM` is not `dumb`.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

const DELAY: Duration = Duration::from_millis(250);
const FRAME: Duration = Duration::from_millis(100);
const FRAMES: [&str; 4] = ["|", "/", "-", "\\"];

/// Stops (and erases itself) when dropped.
pub struct Spinner {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Whether a spinner may be drawn: stderr is a terminal that can redraw a line.
pub fn enabled(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

fn coloured() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl Spinner {
    pub fn start(message: impl Into<String>, enabled: bool) -> Spinner {
        let stop = Arc::new(AtomicBool::new(false));
        if !enabled {
            return Spinner { stop, thread: None };
        }
        // A path in the message may come from the environment.
        let message = crate::escape::line(&message.into());
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            // park_timeout, not sleep: Drop unparks the thread, so stopping never waits.
            let wait = |d: Duration| {
                let until = std::time::Instant::now() + d;
                while !flag.load(Ordering::Relaxed) && std::time::Instant::now() < until {
                    std::thread::park_timeout(until.saturating_duration_since(std::time::Instant::now()));
                }
            };
            wait(DELAY);
            let mut drawn = false;
            let (on, off) = if coloured() { ("\x1b[36m", "\x1b[0m") } else { ("", "") };
            for frame in FRAMES.iter().cycle() {
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                let _ = write!(std::io::stderr(), "\r{on}{frame}{off} {message}");
                drawn = true;
                wait(FRAME);
            }
            if drawn {
                // Erase the line so the next message starts clean.
                let _ = write!(std::io::stderr(), "\r\x1b[2K");
            }
        });
        Spinner {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disabled_spinner_starts_no_thread() {
        let spinner = Spinner::start("x", false);
        assert!(spinner.thread.is_none());
    }

    #[test]
    fn an_enabled_spinner_stops_when_dropped() {
        let started = std::time::Instant::now();
        drop(Spinner::start("x", true));
        // It stops at once: a fast step is not slowed down by the spinner's delay.
        assert!(started.elapsed() < DELAY);
    }
}
