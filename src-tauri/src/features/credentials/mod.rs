//! Credentials: signing in (browser, device code, CADC password), signing out, a pasted
//! token, and the refresher that keeps an OIDC access token fresh.
//!
//! Tells the others through the kernel: `credential_changed` after every change, and
//! `Signal::SignedIn` after a sign-in.

pub mod account;
pub mod commands;
mod refresher;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use tauri::{AppHandle, Manager, Runtime};

/// The feature's state.
#[derive(Default)]
pub struct Credentials {
    /// Cancels a running browser or device sign-in.
    sign_in_cancel: CancelSlot,
    /// Whether "sign-in needed" was already announced for the current refusal.
    refresh_notice: AtomicBool,
}

impl Credentials {
    /// Record that "sign-in needed" was (true) or may again be (false) announced. Returns
    /// true when the flag changed, i.e. when the caller should announce now.
    fn refresh_notice_sent(&self, sent: bool) -> bool {
        self.refresh_notice.swap(sent, Ordering::SeqCst) != sent
    }
}

/// A one-shot cancel button for a long-running operation.
#[derive(Default)]
pub struct CancelSlot(Mutex<Option<tokio::sync::oneshot::Sender<()>>>);

impl CancelSlot {
    /// Start a new operation (cancelling any earlier one) and get its cancel signal.
    pub fn arm(&self) -> tokio::sync::oneshot::Receiver<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if let Some(old) = self.0.lock().unwrap_or_else(|e| e.into_inner()).replace(tx) {
            let _ = old.send(());
        }
        rx
    }

    /// Cancel the running operation; false when none was running.
    pub fn fire(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .is_some_and(|tx| tx.send(()).is_ok())
    }
}

pub fn init<R: Runtime>(app: &AppHandle<R>) {
    app.manage(Credentials::default());
    refresher::spawn(app.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_sign_in_cancels_the_one_before() {
        let slot = CancelSlot::default();
        let mut first = slot.arm();
        let mut second = slot.arm();
        assert!(first.try_recv().is_ok(), "the first was cancelled");
        assert!(slot.fire());
        assert!(second.try_recv().is_ok());
        assert!(!slot.fire(), "nothing left to cancel");
    }

    #[test]
    fn sign_in_needed_is_announced_once_per_refusal() {
        let c = Credentials::default();
        assert!(c.refresh_notice_sent(true));
        assert!(!c.refresh_notice_sent(true));
        assert!(c.refresh_notice_sent(false));
        assert!(c.refresh_notice_sent(true));
    }
}
