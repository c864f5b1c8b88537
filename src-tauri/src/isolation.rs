//! Proof that remote session pages get no Tauri IPC.
//!
//! Runs the app's real Tauri configuration and capability files on Tauri's mock runtime and
//! sends IPC requests as a session window would: from a remote origin, to an app command and
//! to a core plugin command. The main window (local origin) must be served; every request
//! from a session page must be refused. A failure here means a capability grants remote
//! access.

#[cfg(test)]
mod acl {
    include!("../app_commands.rs");

    /// Every command of the generated bindings has an ACL entry, and no entry is stale: a
    /// command missing here would be refused to every window at run time.
    #[test]
    fn the_acl_list_matches_the_ipc_surface() {
        let ts = include_str!("../../ui/src/bindings.ts");
        let mut invoked: Vec<&str> = ts
            .split("__TAURI_INVOKE")
            .skip(1)
            .filter_map(|rest| {
                // `__TAURI_INVOKE<T>("name"` or `__TAURI_INVOKE("name"`, on one line.
                let rest = rest.lines().next()?;
                if !(rest.starts_with('<') || rest.starts_with('(')) {
                    return None;
                }
                let start = rest.find("(\"")? + 2;
                let end = start + rest[start..].find('"')?;
                Some(&rest[start..end])
            })
            .collect();
        invoked.sort_unstable();
        invoked.dedup();
        let mut listed = APP_COMMANDS.to_vec();
        listed.sort_unstable();
        assert_eq!(
            listed, invoked,
            "src-tauri/app_commands.rs vs ui/src/bindings.ts"
        );
    }
}

#[cfg(test)]
mod tests {
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
    use tauri::webview::InvokeRequest;
    use tauri::{Url, WebviewUrl, WebviewWindowBuilder};

    /// Stand-ins with the real commands' names: the ACL decides by name, before a command
    /// runs, so these show what the real capability files let each window reach.
    #[tauri::command]
    fn app_info() -> &'static str {
        "reached"
    }
    #[tauri::command]
    fn sign_out() -> &'static str {
        "reached"
    }
    #[tauri::command]
    fn download_offer() -> &'static str {
        "reached"
    }
    #[tauri::command]
    fn decide_download() -> &'static str {
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
            .invoke_handler(tauri::generate_handler![
                app_info,
                sign_out,
                download_offer,
                decide_download
            ])
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
        let ok = get_ipc_response(&main, request("app_info", &local));
        assert!(
            ok.is_ok(),
            "the app's own window must reach its commands: {ok:?}"
        );

        for cmd in [
            "app_info",
            "download_offer",
            "plugin:event|listen",
            "plugin:window|close",
            "plugin:webview|print",
        ] {
            let denied = get_ipc_response(&session, request(cmd, &page));
            assert!(denied.is_err(), "a session page reached {cmd}: {denied:?}");
        }
        // Even the main window, once it shows a remote page, gets nothing.
        let denied = get_ipc_response(&main, request("app_info", &page));
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
        for cmd in ["download_offer", "decide_download"] {
            let ok = get_ipc_response(&prompt, request(cmd, &prompt_url));
            assert!(ok.is_ok(), "a download prompt must reach {cmd}: {ok:?}");
        }
        // The app's manifest gates its own commands by window: a prompt is not the app.
        for cmd in ["app_info", "sign_out"] {
            let denied = get_ipc_response(&prompt, request(cmd, &prompt_url));
            assert!(
                denied.is_err(),
                "a download prompt reached {cmd}: {denied:?}"
            );
        }
        let ok = get_ipc_response(&main, request("sign_out", &local));
        assert!(ok.is_ok(), "the main window reaches every command: {ok:?}");
        let denied = get_ipc_response(&prompt, request("plugin:event|listen", &page));
        assert!(
            denied.is_err(),
            "a remote page in a prompt window reached the app: {denied:?}"
        );
    }
}
