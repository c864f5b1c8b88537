//! Session windows in the real app: a Running notebook opens in its own window, its page
//! loads and its websocket echoes; script in the page cannot reach the app's IPC.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use skyport_core::platform::ServiceUrl;
use skyport_core::secret::SecretString;
use skyport_core::skaha::{Auth, CreateRequest, SessionKind, SessionStatus, SkahaClient};
use skyport_sim::SimConfig;

use crate::harness::{driver_or_skip, App, GUI};

const TOKEN: &str = "e2e-window-token";

/// A Running notebook named `name`, made through the core client; returns its id and page.
async fn running_notebook(sim: &skyport_sim::SimHandle, name: &str) -> (String, String) {
    let http = skyport_core::http::build_client(Default::default()).expect("http");
    let client = SkahaClient::new(
        http,
        ServiceUrl::parse(sim.skaha_url().as_str()).expect("url"),
        Auth::Bearer(SecretString::new(TOKEN.into())),
    );
    let id = client
        .create_session(&CreateRequest {
            name: name.into(),
            image: "images.canfar.net/skaha/astroml:latest".into(),
            kind: Some(SessionKind::Notebook),
            ..Default::default()
        })
        .await
        .expect("create");
    for _ in 0..50 {
        sim.advance_clock(Duration::from_secs(2));
        if client.get_session(&id).await.expect("get").status == SessionStatus::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page = client
        .get_session(&id)
        .await
        .expect("get")
        .connect_url
        .expect("connect url");
    (id.0, page)
}

/// Open the session `name` from its details and switch WebDriver to its window; returns
/// the text of the page's websocket status once it has an answer.
async fn open_and_read(app: &App, name: &str) -> String {
    let main = app.client.window().await.expect("main window handle");
    app.click(&format!("[data-testid=session-row][data-name={name}]"))
        .await;
    app.click("[data-testid=details-open-window]").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let session_window = loop {
        let handles = app.client.windows().await.expect("window handles");
        if let Some(h) = handles.into_iter().find(|h| *h != main) {
            break h;
        }
        assert!(Instant::now() < deadline, "no session window appeared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    app.client
        .switch_to_window(session_window)
        .await
        .expect("switch to the session window");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(el) = app.client.find(Locator::Css("#ws-status")).await {
            let t = el.text().await.unwrap_or_default();
            if t.starts_with("echo") || Instant::now() > deadline {
                return t;
            }
        }
        assert!(Instant::now() < deadline, "the session page did not load");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_notebook_opens_in_its_own_isolated_window() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = skyport_sim::start(SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        pending_delay: Duration::from_secs(1),
        ..Default::default()
    })
    .await
    .expect("sim");
    let (id, _) = running_notebook(&sim, "nbwin").await;
    let url = sim.skaha_url().to_string();
    let app = App::start(
        "windows",
        &driver,
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
    )
    .await;
    let main = app.client.window().await.expect("main window handle");
    let status = open_and_read(&app, "nbwin").await;
    assert_eq!(status, format!("echo: hello from {id}"));
    let current = app.client.current_url().await.expect("url");
    assert!(
        current.path().contains(&format!("/session/notebook/{id}/")),
        "{current}"
    );
    app.screenshot("windows-notebook").await;

    // Script in the session page cannot reach the app: no IPC, or every call refused.
    let probe = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const ipc = window.__TAURI_INTERNALS__;
             if (!ipc || typeof ipc.invoke !== 'function') { done('no-ipc'); return; }
             ipc.invoke('app_info').then(() => done('reached'), (e) => done('refused: ' + String(e)));",
            vec![],
        )
        .await
        .expect("run script in the session page");
    let probe = probe.as_str().unwrap_or_default().to_string();
    assert!(
        probe == "no-ipc" || probe.starts_with("refused"),
        "a session page reached the app: {probe}"
    );
    eprintln!("IPC from the session page: {probe}");

    app.client
        .switch_to_window(main)
        .await
        .expect("back to the main window");
    app.stop().await;
}

#[tokio::test]
async fn pages_that_ask_for_credentials_are_served_through_the_relay() {
    let Some(driver) = driver_or_skip() else {
        return;
    };
    let _gui = GUI.lock().await;
    let sim = skyport_sim::start(SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        pending_delay: Duration::from_secs(1),
        session_auth_required: true,
        ..Default::default()
    })
    .await
    .expect("sim");
    let (id, page) = running_notebook(&sim, "nbauth").await;
    // Without the relay the page is refused.
    let direct = reqwest::get(&page).await.expect("direct request");
    assert_eq!(
        direct.status(),
        401,
        "the sim must require credentials on session pages"
    );

    let url = sim.skaha_url().to_string();
    let app = App::start(
        "windows-relay",
        &driver,
        &[("SKYPORT_URL", url.as_str()), ("SKYPORT_TOKEN", TOKEN)],
    )
    .await;
    let status = open_and_read(&app, "nbauth").await;
    assert_eq!(
        status,
        format!("echo: hello from {id}"),
        "served and websocket echoed through the relay"
    );
    let current = app.client.current_url().await.expect("url");
    assert_eq!(current.host_str(), Some("127.0.0.1"));
    assert_ne!(
        current.port_or_known_default(),
        tauri::Url::parse(&page)
            .expect("page")
            .port_or_known_default(),
        "the window shows the relay, not the platform directly"
    );
    let html = app.client.source().await.expect("source");
    assert!(
        !html.contains(TOKEN),
        "the credential never reaches the page"
    );
    app.screenshot("windows-relay").await;
    app.stop().await;
}
