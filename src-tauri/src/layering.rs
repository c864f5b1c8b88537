//! The shell's shape, checked: no import cycle among its modules, and dependencies that
//! point one way (IPC → commands → services → kernel → core).
//!
//! A unit is a feature folder (`features/sessions`), a kernel file (`kernel/bus`) or a
//! top-level file (`bindings`). Its dependencies are the `crate::…` and `super::…` paths its
//! code names (test code excluded). The rules:
//! - the units form no cycle;
//! - the kernel names no feature, and neither names the crate root's other modules;
//! - a feature names no other feature;
//! - only the composition root (`lib.rs`) names a feature's `commands`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A source file: its path below `src` (with `/`), and its text.
type File = (String, String);

/// The unit a module path belongs to.
fn unit(module: &[String]) -> String {
    match module {
        [] => "lib".into(),
        [top, rest @ ..] if top == "features" || top == "kernel" => match rest.first() {
            Some(second) => format!("{top}/{second}"),
            None => top.clone(),
        },
        [top, ..] => top.clone(),
    }
}

/// The module path of a file: `features/sessions/poller.rs` → [features, sessions, poller].
fn module_of(path: &str) -> Vec<String> {
    let stem = path.trim_end_matches(".rs");
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn ident_at(s: &str) -> Option<&str> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (end > 0).then(|| &s[..end])
}

/// Every path named after `anchor` (`crate::` or `super::`), braces expanded one level:
/// `crate::kernel::{self, bus::Signal}` gives [kernel], [kernel, bus, Signal].
fn paths_after(code: &str, anchor: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices(anchor) {
        // `super::super::x` is read from its first `super::`.
        if anchor == "super::" && code[..at].ends_with("super::") {
            continue;
        }
        let mut rest = &code[at + anchor.len()..];
        let mut supers = 0;
        if anchor == "super::" {
            while let Some(r) = rest.strip_prefix("super::") {
                supers += 1;
                rest = r;
            }
        }
        let mut prefix: Vec<String> = vec!["super".into(); supers];
        loop {
            if let Some(id) = ident_at(rest) {
                prefix.push(id.to_string());
                rest = &rest[id.len()..];
                match rest.strip_prefix("::") {
                    Some(r) => rest = r,
                    None => break,
                }
            } else if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let item = item.trim();
                    let mut p = prefix.clone();
                    if let Some(id) = ident_at(item).filter(|id| *id != "self") {
                        p.push(id.to_string());
                    }
                    out.push(p);
                }
                prefix.clear();
                break;
            } else {
                break;
            }
        }
        if !prefix.is_empty() {
            out.push(prefix);
        }
    }
    out
}

/// A file's code: no test code, no comments.
fn code_of(text: &str) -> String {
    text.split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The units `path`'s code depends on, each with the path that names it.
fn dependencies(
    path: &str,
    text: &str,
    modules: &BTreeSet<Vec<String>>,
) -> BTreeMap<String, String> {
    let code = code_of(text);
    let code = code.as_str();
    let here = module_of(path);
    let own = unit(&here);
    // A file's `super` is its module's parent (for mod.rs too: the module is the folder).
    let mut named: Vec<Vec<String>> = paths_after(code, "crate::");
    for p in paths_after(code, "super::") {
        let ups = p.iter().take_while(|s| *s == "super").count() + 1;
        let mut base: Vec<String> = here[..here.len().saturating_sub(ups)].to_vec();
        base.extend(p.into_iter().skip(ups - 1).skip_while(|s| s == "super"));
        named.push(base);
    }
    // Child modules named relatively (`bus::Signal` in kernel/mod.rs).
    for child in modules
        .iter()
        .filter(|m| m.len() == here.len() + 1 && m.starts_with(&here))
    {
        let name = &child[here.len()];
        let needle = format!("{name}::");
        let named_here = code.match_indices(&needle).any(|(at, _)| {
            !code[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        });
        if named_here {
            named.push(child.clone());
        }
    }
    let mut deps = BTreeMap::new();
    for p in named {
        // The longest prefix that is a module (`kernel::bus::Signal` → kernel/bus).
        let module = (0..=p.len())
            .rev()
            .map(|n| p[..n].to_vec())
            .find(|m| modules.contains(m))
            .unwrap_or_default();
        let u = unit(&module);
        if u != own {
            deps.entry(u).or_insert_with(|| p.join("::"));
        }
    }
    deps
}

/// What is wrong with the shape of these files (nothing: empty).
fn problems(files: &[File]) -> Vec<String> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(p, _)| module_of(p)).collect();
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut out = Vec::new();
    for (path, text) in files {
        let here = module_of(path);
        let own = unit(&here);
        let deps = dependencies(path, text, &modules);
        for (dep, named) in &deps {
            // The kernel and the features may name the kernel only (a feature its own files
            // too, which are not dependencies).
            let bad = (own.starts_with("kernel") || own.starts_with("features/"))
                && !dep.starts_with("kernel");
            if bad {
                out.push(format!(
                    "{path} ({own}) must not depend on {dep} (it names {named})"
                ));
            }
        }
        let code = code_of(text);
        let names_commands = code
            .match_indices("commands::")
            .any(|(at, _)| !code[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
        if own != "lib" && names_commands {
            out.push(format!(
                "{path} names a `commands` module: only lib.rs (the IPC surface) may"
            ));
        }
        graph.entry(own).or_default().extend(deps);
    }
    out.extend(
        cycles(&graph)
            .into_iter()
            .map(|c| format!("import cycle: {}", c.join(" → "))),
    );
    out
}

/// The cycles of a graph (one per strongly connected component with more than one unit).
fn cycles(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    // Units that reach themselves, grouped by the set they reach each other in.
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(u) = todo.pop() {
            for d in graph.get(&u).into_iter().flat_map(|m| m.keys()) {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen
    };
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for u in graph.keys() {
        let r = reach(u);
        if r.contains(u) {
            let comp: Vec<String> = r.iter().filter(|v| reach(v).contains(u)).cloned().collect();
            found.insert(comp);
        }
    }
    found.into_iter().collect()
}

fn read_tree(root: &Path, dir: &Path, out: &mut Vec<File>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            read_tree(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("tests.rs") {
            // (A `tests.rs` is a test module in a file of its own: test code.)
            let rel = p
                .strip_prefix(root)
                .map(|r| r.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            out.push((rel, std::fs::read_to_string(&p).unwrap_or_default()));
        }
    }
}

#[test]
fn the_shell_has_no_import_cycle_and_its_dependencies_point_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/src");
    let mut files = Vec::new();
    read_tree(&root, &root, &mut files);
    assert!(
        files.len() > 20,
        "read the shell's sources from {}",
        root.display()
    );
    let found = problems(&files);
    assert!(found.is_empty(), "the shell's shape:\n{}", found.join("\n"));
}

#[test]
fn the_check_finds_a_cycle_a_feature_calling_another_and_a_kernel_calling_up() {
    let f = |p: &str, t: &str| (p.to_string(), t.to_string());
    let files = vec![
        f("lib.rs", "use crate::features::a::commands::x;"),
        f("features/mod.rs", "pub mod a; pub mod b;"),
        f("features/a/mod.rs", "mod svc; pub mod commands;"),
        f("features/a/svc.rs", "use super::super::b::thing;"),
        f("features/a/commands.rs", "use super::svc;"),
        f(
            "features/b/mod.rs",
            "use crate::kernel::{self, bus::Signal};",
        ),
        f("kernel/mod.rs", "pub mod bus; pub mod notify;"),
        f("kernel/bus.rs", "use crate::kernel::notify;"),
        f(
            "kernel/notify.rs",
            "fn f() { crate::kernel::bus::send(); crate::features::b::x(); }",
        ),
    ];
    let found = problems(&files);
    let has = |s: &str| found.iter().any(|p| p.contains(s));
    assert!(
        has("features/a/svc.rs (features/a) must not depend on features/b"),
        "{found:#?}"
    );
    assert!(
        has("kernel/notify.rs (kernel/notify) must not depend on features/b"),
        "{found:#?}"
    );
    // notify names features/b, which names kernel/bus, which names notify.
    assert!(
        has("import cycle: features/b → kernel/bus → kernel/notify"),
        "{found:#?}"
    );
    assert_eq!(found.len(), 3, "{found:#?}");
    // A service naming its own feature's commands is also refused.
    let files = vec![
        f("features/mod.rs", "pub mod a;"),
        f(
            "features/a/mod.rs",
            "pub mod commands; fn f() { commands::x(); super::a::commands::y(); }",
        ),
        f("features/a/commands.rs", ""),
    ];
    let found = problems(&files);
    assert!(
        found
            .iter()
            .any(|p| p.contains("names a `commands` module")),
        "{found:#?}"
    );
}
