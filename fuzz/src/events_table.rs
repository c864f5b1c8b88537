//! The session events table (`skaha::model::parse_events`): `kubectl get event` columns
//! `TYPE REASON MESSAGE FIRST-TIME LAST-TIME`, or `<none>`.
//!
//! Properties: never a panic; one event per line that is not blank, `<none>` or the
//! header; nothing is lost (a row keeps every word, a line that is not a row is kept
//! whole as the message); the type, reason and times are single words and `<nil>` /
//! `<none>` become absent.

use skyport_core::skaha::model::parse_events;

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let events = parse_events(&text);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|t| !(t.is_empty() || *t == "<none>" || t.starts_with("TYPE ")))
        .collect();
    assert_eq!(events.len(), lines.len());
    for (e, line) in events.iter().zip(&lines) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() >= 5 {
            assert_eq!(e.kind, words[0]);
            assert_eq!(e.reason, words[1]);
            assert_eq!(e.message, words[2..words.len() - 2].join(" "));
            for (t, w) in [
                (&e.first_time, words[words.len() - 2]),
                (&e.last_time, words[words.len() - 1]),
            ] {
                match t {
                    Some(t) => {
                        assert_eq!(t, w);
                        assert!(t != "<nil>" && t != "<none>");
                    }
                    None => assert!(w == "<nil>" || w == "<none>"),
                }
            }
        } else {
            assert!(e.kind.is_empty() && e.reason.is_empty());
            assert_eq!(e.message, *line);
            assert!(e.first_time.is_none() && e.last_time.is_none());
        }
    }
}
