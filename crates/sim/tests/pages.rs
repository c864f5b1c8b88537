//! Session pages on loopback at the connect URLs, with websocket echo.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use skyport_sim::SimConfig;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn running_sessions_serve_pages_with_websocket_echo() {
    let sim = start_with(SimConfig {
        max_interactive_sessions: 10,
        ..fast_config()
    })
    .await;
    for kind in ["notebook", "desktop", "carta", "contributed", "firefly"] {
        let id = sim.create_kind(kind, &format!("My{kind}")).await;
        let v = sim.session(&id).await;
        let url = v["connectURL"].as_str().unwrap();
        let r = sim.client.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = r.text().await.unwrap();
        assert!(html.contains("<title>"), "{html}");
        assert!(html.contains(&format!("my{kind}")));
        assert!(html.contains("id=\"ws-status\""));
        assert!(html.contains(">alice<"));
        let seg = if kind == "contributed" {
            "contrib"
        } else {
            kind
        };
        let ws_path = format!("/session/{seg}/{id}/ws");
        assert!(html.contains(&ws_path));

        let ws_url = format!(
            "ws://{}{}",
            sim.handle
                .sessions_url()
                .host_str()
                .map(|h| format!("{h}:{}", sim.handle.sessions_url().port().unwrap()))
                .unwrap(),
            ws_path
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
        ws.send(Message::text("ping-1")).await.unwrap();
        let reply = ws.next().await.unwrap().unwrap();
        assert_eq!(reply, Message::text("ping-1"));
        ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::binary(vec![1u8, 2, 3])
        );
        ws.close(None).await.unwrap();
    }
}

#[tokio::test]
async fn unknown_pending_and_deleted_sessions_are_404() {
    let sim = start_with(SimConfig {
        pending_delay: Duration::from_secs(60),
        ..fast_config()
    })
    .await;
    let base = sim.handle.sessions_url();
    let r = sim
        .client
        .get(format!("{base}session/notebook/abcdefgh/lab"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = sim
        .client
        .get(format!("{base}whatever"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let id = sim.create_kind("notebook", "nb").await;
    let url = sim.session(&id).await["connectURL"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        sim.client.get(&url).send().await.unwrap().status(),
        404,
        "Pending"
    );
    sim.handle.advance_clock(Duration::from_secs(61));
    assert_eq!(sim.client.get(&url).send().await.unwrap().status(), 200);
    // Wrong type segment for the id.
    let r = sim
        .client
        .get(format!("{base}session/carta/{id}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // An open websocket is closed when the session is deleted.
    let host = format!("{}:{}", base.host_str().unwrap(), base.port().unwrap());
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{host}/session/notebook/{id}/ws"))
            .await
            .unwrap();
    sim.delete(&format!("session/{id}")).send().await.unwrap();
    assert_eq!(sim.client.get(&url).send().await.unwrap().status(), 404);
    let end = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                _ => {}
            }
        }
    })
    .await;
    assert!(end.is_ok(), "websocket not closed after delete");
    let r = tokio_tungstenite::connect_async(format!("ws://{host}/session/notebook/{id}/ws")).await;
    assert!(r.is_err());
}

#[tokio::test]
async fn session_auth_required_demands_credentials() {
    let sim = start_with(SimConfig {
        session_auth_required: true,
        ..fast_config()
    })
    .await;
    let id = sim.create_kind("notebook", "nb").await;
    let url = sim.session(&id).await["connectURL"]
        .as_str()
        .unwrap()
        .to_string();
    let r = sim.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r
        .headers()
        .get_all("www-authenticate")
        .iter()
        .any(|v| v == "Bearer"));
    let r = sim
        .client
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = sim
        .client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t = sim.handle.login_token("alice");
    let r = sim
        .client
        .get(&url)
        .header("cookie", format!("CADC_SSO={t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Websocket without credentials is refused; with the cookie it connects.
    let base = sim.handle.sessions_url();
    let ws_url = format!(
        "ws://{}:{}/session/notebook/{id}/ws",
        base.host_str().unwrap(),
        base.port().unwrap()
    );
    assert!(tokio_tungstenite::connect_async(&ws_url).await.is_err());
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = ws_url.into_client_request().unwrap();
    req.headers_mut()
        .insert("cookie", format!("CADC_SSO={t}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws.send(Message::text("hi")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hi"));
}

#[tokio::test]
async fn session_pages_offer_a_file_to_download() {
    let sim = start_with(fast_config()).await;
    let id = sim.create_kind("notebook", "files").await;
    let v = sim.session(&id).await;
    let page = url::Url::parse(v["connectURL"].as_str().unwrap()).unwrap();
    let html = sim.client.get(page.clone()).send().await.unwrap();
    let html = html.text().await.unwrap();
    let link = format!("/session/notebook/{id}/files/summary.csv?download=1");
    assert!(html.contains(&link), "{html}");
    assert!(html.contains("id=\"scratch\"") && html.contains("id=\"copy-source\""));

    let r = sim
        .client
        .get(page.join(&link).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"summary.csv\""
    );
    let body = r.text().await.unwrap();
    assert!(body.starts_with("row,session,ra,dec\n0,"), "{body}");
    assert_eq!(body.lines().count(), 101);

    // slow=1: the same file, trickling in.
    let slow = page
        .join(&format!(
            "/session/notebook/{id}/files/cube.csv?download=1&slow=1"
        ))
        .unwrap();
    let started = std::time::Instant::now();
    let r = sim.client.get(slow.clone()).send().await.unwrap();
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"cube.csv\""
    );
    let text = r.text().await.unwrap();
    assert_eq!(text.lines().count(), 101);
    let whole = text.len();
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "it trickles"
    );

    // Held by the test: all but its last part arrives, the rest once released.
    sim.handle.hold_slow_files(true);
    let mut r = sim.client.get(slow).send().await.unwrap();
    let mut got = Vec::new();
    while got.len() < whole - whole.div_ceil(12) {
        got.extend_from_slice(&r.chunk().await.unwrap().expect("more of the file"));
    }
    assert!(
        tokio::time::timeout(Duration::from_secs(1), r.chunk())
            .await
            .is_err(),
        "the last part came while held"
    );
    sim.handle.hold_slow_files(false);
    while let Some(part) = r.chunk().await.unwrap() {
        got.extend_from_slice(&part);
    }
    assert_eq!(got.len(), whole, "the whole file once released");

    // Without ?download=1 the file is shown, not offered (Jupyter's convention).
    let shown = page
        .join(&format!("/session/notebook/{id}/files/summary.csv"))
        .unwrap();
    let r = sim.client.get(shown).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("content-disposition").is_none());
    // Files of sessions that are not Running are not there.
    let r = sim
        .client
        .get(
            page.join("/session/notebook/nosuchid/files/summary.csv")
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
