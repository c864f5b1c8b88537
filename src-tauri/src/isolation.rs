//! Proof that remote session pages get no Tauri IPC.
//!
//! Runs the app's real Tauri configuration and capability files on Tauri's mock runtime and
//! sends IPC requests as a session window would: from a remote origin, to an app command and
//! to a core plugin command. The main window (local origin) must be served; every request
//! from a session page must be refused. A failure here means a capability grants remote
//! access.

#[cfg(test)]
mod tests {
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
    use tauri::webview::InvokeRequest;
    use tauri::{Url, WebviewUrl, WebviewWindowBuilder};

    /// Stands for every app command: they share one ACL rule.
    #[tauri::command]
    fn probe() -> &'static str {
        "reached"
    }

    fn request(cmd: &str, origin: &Url) -> InvokeRequest {
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: origin.clone(),
            body: InvokeBody::Json(
                serde_json::json!({"event": "x", "target": {"kind": "Any"}, "handler": 2}),
            ),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        }
    }

    #[test]
    fn session_pages_cannot_invoke_anything() {
        let app = mock_builder()
            .invoke_handler(tauri::generate_handler![probe])
            .build(tauri::generate_context!("tauri.conf.json"))
            .expect("mock app with the real configuration");
        let main = WebviewWindowBuilder::new(&app, "main", WebviewUrl::App("index.html".into()))
            .build()
            .expect("main");
        let page: Url = "http://127.0.0.1:9/session/notebook/abcd1234/lab?token=abcd1234"
            .parse()
            .expect("url");
        let session =
            WebviewWindowBuilder::new(&app, "session-abcd1234", WebviewUrl::External(page.clone()))
                .build()
                .expect("session");

        let local = main.url().expect("main url");
        let ok = get_ipc_response(&main, request("probe", &local));
        assert!(
            ok.is_ok(),
            "the app's own window must reach its commands: {ok:?}"
        );

        for cmd in [
            "probe",
            "plugin:event|listen",
            "plugin:window|close",
            "plugin:webview|print",
        ] {
            let denied = get_ipc_response(&session, request(cmd, &page));
            assert!(denied.is_err(), "a session page reached {cmd}: {denied:?}");
        }
        // Even the main window, once it shows a remote page, gets nothing.
        let denied = get_ipc_response(&main, request("probe", &page));
        assert!(
            denied.is_err(),
            "a remote page in the main window reached a command: {denied:?}"
        );
        // Download prompts (the app's own page) are served; a remote page in one is not.
        let prompt =
            WebviewWindowBuilder::new(&app, "download-1", WebviewUrl::App("index.html".into()))
                .build()
                .expect("prompt");
        let prompt_url = prompt.url().expect("prompt url");
        let ok = get_ipc_response(&prompt, request("plugin:event|listen", &prompt_url));
        assert!(ok.is_ok(), "a download prompt must hear its events: {ok:?}");
        let denied = get_ipc_response(&prompt, request("plugin:event|listen", &page));
        assert!(
            denied.is_err(),
            "a remote page in a prompt window reached the app: {denied:?}"
        );
    }
}
