//! Running an app on the wall clock: the app moves into a thread of its own, which fires every
//! timer (time windows, batch ends, `output every`, triggers, absent patterns, purges) when it
//! falls due, and takes events and requests from any thread through a [`Runner`]. (An app in
//! playback keeps following event time: its timers fire as events move the clock.)

use crate::interpreter::{App, SendError};
use crate::state::StateError;
use crate::value::Value;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the app's thread is asked to do.
enum Command {
    Send {
        stream: String,
        timestamp: Option<i64>,
        values: Vec<Value>,
        reply: Sender<Result<(), SendError>>,
    },
    SendJson {
        stream: String,
        timestamp: Option<i64>,
        values: Vec<serde_json::Value>,
        reply: Sender<Result<(), SendError>>,
    },
    Snapshot(Sender<Result<Vec<u8>, StateError>>),
    Stop,
}

/// Why a request to a running app failed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RunError {
    /// The event was refused (the app goes on).
    #[error(transparent)]
    Send(#[from] SendError),
    /// The app's thread has stopped.
    #[error("the app has stopped")]
    Stopped,
}

/// A handle to an app running on the wall clock in its own thread.
pub struct Runner {
    commands: Sender<Command>,
    thread: Option<JoinHandle<App>>,
}

/// Longest wait between two looks at the clock when no timer is due (ms).
const IDLE_WAIT_MS: u64 = 1000;

fn drive(mut app: App, commands: Receiver<Command>) -> App {
    loop {
        app.tick();
        let wait = app
            .next_due()
            .map(|due| (due - app.clock()).clamp(0, IDLE_WAIT_MS as i64) as u64)
            .unwrap_or(IDLE_WAIT_MS);
        match commands.recv_timeout(Duration::from_millis(wait)) {
            Ok(Command::Send {
                stream,
                timestamp,
                values,
                reply,
            }) => {
                let _ = reply.send(app.send(&stream, timestamp, values));
            }
            Ok(Command::SendJson {
                stream,
                timestamp,
                values,
                reply,
            }) => {
                let _ = reply.send(app.send_json(&stream, timestamp, &values));
            }
            Ok(Command::Snapshot(reply)) => {
                let _ = reply.send(app.snapshot());
            }
            Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return app,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

impl Runner {
    /// Starts `app` on the wall clock in a thread of its own.
    pub fn start(app: App) -> Runner {
        let (commands, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("eventflux-app".into())
            .spawn(move || drive(app, receiver))
            .ok();
        Runner { commands, thread }
    }

    fn ask<T>(&self, command: impl FnOnce(Sender<T>) -> Command) -> Result<T, RunError> {
        let (reply, answer) = mpsc::channel();
        self.commands
            .send(command(reply))
            .map_err(|_| RunError::Stopped)?;
        answer.recv().map_err(|_| RunError::Stopped)
    }

    /// Sends an event (stamped with the wall clock unless `timestamp` is given) and waits until
    /// it has been processed.
    pub fn send(
        &self,
        stream: &str,
        timestamp: Option<i64>,
        values: Vec<Value>,
    ) -> Result<(), RunError> {
        self.ask(|reply| Command::Send {
            stream: stream.to_string(),
            timestamp,
            values,
            reply,
        })?
        .map_err(RunError::from)
    }

    /// Sends an event given as JSON values (see [`App::send_json`]) and waits until it has been
    /// processed.
    pub fn send_json(
        &self,
        stream: &str,
        timestamp: Option<i64>,
        values: Vec<serde_json::Value>,
    ) -> Result<(), RunError> {
        self.ask(|reply| Command::SendJson {
            stream: stream.to_string(),
            timestamp,
            values,
            reply,
        })?
        .map_err(RunError::from)
    }

    /// The app's state as bytes (see [`App::snapshot`]).
    pub fn snapshot(&self) -> Result<Result<Vec<u8>, StateError>, RunError> {
        self.ask(Command::Snapshot)
    }

    /// Stops the thread and gives the app back.
    pub fn stop(mut self) -> Result<App, RunError> {
        let _ = self.commands.send(Command::Stop);
        self.thread
            .take()
            .ok_or(RunError::Stopped)?
            .join()
            .map_err(|_| RunError::Stopped)
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
