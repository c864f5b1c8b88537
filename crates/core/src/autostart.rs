//! Start at login on Linux: the user's XDG autostart entry
//! (`$XDG_CONFIG_HOME/autostart/skyport-desktop.desktop`, the Desktop Application Autostart
//! Specification).
//!
//! Written here rather than by tauri-plugin-autostart, whose Linux side writes
//! `$HOME/.config/autostart` whatever `XDG_CONFIG_HOME` says, in place (a crash leaves half a
//! file) and with the program's path unquoted (a path with a space starts nothing). The entry
//! on disk is the truth: a desktop's own "Startup Applications" tool may turn it off
//! (`Hidden=true` or `X-GNOME-Autostart-enabled=false`) or delete it, and Skyport then reads
//! the setting as off.

use std::path::{Path, PathBuf};

use crate::fsutil::write_atomic;

/// The file name of the entry (the desktop file's name, so that a desktop lists it as
/// Skyport's).
pub const ENTRY_NAME: &str = "skyport-desktop.desktop";

/// The command-line flag of a start at login: no window, only the tray.
pub const HIDDEN_FLAG: &str = "--hidden";

/// A key of our own, so that Skyport only ever rewrites an entry it wrote.
const MARK: &str = "X-Skyport-Autostart=true";

/// Where the entry lives and what it starts.
#[derive(Debug, Clone)]
pub struct Autostart {
    /// The entry file.
    pub entry: PathBuf,
    /// The program to start (the running app's path).
    pub program: PathBuf,
    /// `SKYPORT_HOME` of this run, carried into the entry so that the start at login uses
    /// the same folders as the run that turned it on.
    pub skyport_home: Option<PathBuf>,
}

/// What went wrong, worded for the user (each says what to do).
#[derive(Debug, thiserror::Error)]
pub enum AutostartError {
    #[error("Skyport cannot tell where your desktop keeps its start-at-login entries (no home folder). Set HOME or XDG_CONFIG_HOME.")]
    NoConfigDir,
    #[error("Skyport's path {0} cannot be written into a start-at-login entry (it is not UTF-8 or holds a line break). Move Skyport to a plain folder.")]
    Unwritable(String),
    #[error("Could not write {path}: {source}. Check that the folder is writable.")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "Could not remove {path}: {source}. Remove it by hand or check the folder's permissions."
    )]
    Remove {
        path: String,
        source: std::io::Error,
    },
}

impl Autostart {
    /// The entry of this user, for the running program.
    pub fn for_this_run() -> Result<Self, AutostartError> {
        let config = directories::BaseDirs::new()
            .map(|b| b.config_dir().to_path_buf())
            .ok_or(AutostartError::NoConfigDir)?;
        let program = std::env::current_exe()
            .map_err(|e| AutostartError::Unwritable(format!("(unknown: {e})")))?;
        // An AppImage runs from a temporary mount: start the image itself.
        let program = std::env::var_os("APPIMAGE")
            .map(PathBuf::from)
            .unwrap_or(program);
        Ok(Self {
            entry: config.join("autostart").join(ENTRY_NAME),
            program,
            skyport_home: std::env::var_os("SKYPORT_HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
        })
    }

    /// Whether the desktop will start Skyport at login.
    pub fn is_enabled(&self) -> bool {
        std::fs::read_to_string(&self.entry)
            .map(|text| enabled_in(&text))
            .unwrap_or(false)
    }

    /// Turn the start at login on or off.
    pub fn set(&self, on: bool) -> Result<(), AutostartError> {
        if on {
            self.write(&self.entry_text()?)
        } else {
            match std::fs::remove_file(&self.entry) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(source) => Err(AutostartError::Remove {
                    path: self.entry.display().to_string(),
                    source,
                }),
            }
        }
    }

    /// Rewrite our entry when it no longer starts this program (the app was moved, an
    /// AppImage renamed); answers whether it did. An entry the user turned off, or one
    /// Skyport did not write, is left alone.
    pub fn refresh(&self) -> Result<bool, AutostartError> {
        let Ok(text) = std::fs::read_to_string(&self.entry) else {
            return Ok(false);
        };
        if !enabled_in(&text) || !text.lines().any(|l| l.trim() == MARK) {
            return Ok(false);
        }
        let wanted = self.entry_text()?;
        if text == wanted {
            return Ok(false);
        }
        self.write(&wanted)?;
        Ok(true)
    }

    fn write(&self, text: &str) -> Result<(), AutostartError> {
        write_atomic(&self.entry, text.as_bytes()).map_err(|source| AutostartError::Write {
            path: self.entry.display().to_string(),
            source,
        })
    }

    /// The entry's text.
    pub fn entry_text(&self) -> Result<String, AutostartError> {
        let program = exec_arg(&self.program)?;
        let exec = match &self.skyport_home {
            Some(home) => format!(
                "env {} {program} {HIDDEN_FLAG}",
                exec_arg(Path::new(&format!("SKYPORT_HOME={}", path_str(home)?)))?
            ),
            None => format!("{program} {HIDDEN_FLAG}"),
        };
        Ok(format!(
            "[Desktop Entry]\n\
             Type=Application\n\
             Version=1.4\n\
             Name=Skyport\n\
             Comment=Renews your certificate and watches your sessions from the tray\n\
             Exec={exec}\n\
             TryExec={}\n\
             Icon=skyport-desktop\n\
             Terminal=false\n\
             StartupNotify=false\n\
             X-GNOME-Autostart-enabled=true\n\
             {MARK}\n",
            string_value(path_str(&self.program)?)
        ))
    }
}

/// Whether an entry's text starts the program: present and not turned off by the desktop.
fn enabled_in(text: &str) -> bool {
    let mut in_main = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_main = line == "[Desktop Entry]";
            continue;
        }
        if !in_main {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let off = match key.trim() {
            "Hidden" => value.trim() == "true",
            "X-GNOME-Autostart-enabled" => value.trim() == "false",
            _ => false,
        };
        if off {
            return false;
        }
    }
    true
}

fn path_str(path: &Path) -> Result<&str, AutostartError> {
    path.to_str()
        .filter(|s| !s.contains(['\n', '\r']))
        .ok_or_else(|| AutostartError::Unwritable(path.display().to_string()))
}

/// A string value of a desktop entry: a backslash is written `\\`.
fn string_value(s: &str) -> String {
    s.replace('\\', "\\\\")
}

/// One argument of an `Exec` key: quoted when it holds a reserved character, `"`, `` ` ``,
/// `$` and `\` escaped inside the quotes, `%` doubled (field codes), and then written as a
/// string value (the spec's two levels of escaping).
fn exec_arg(path: &Path) -> Result<String, AutostartError> {
    let s = path_str(path)?;
    const RESERVED: &[char] = &[
        ' ', '\t', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')', '`',
    ];
    let s = s.replace('%', "%%");
    let quoted = if s.contains(RESERVED) {
        let mut q = String::with_capacity(s.len() + 2);
        q.push('"');
        for c in s.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        q
    } else {
        s
    };
    Ok(string_value(&quoted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(dir: &Path, program: &str) -> Autostart {
        Autostart {
            entry: dir.join("autostart").join(ENTRY_NAME),
            program: PathBuf::from(program),
            skyport_home: None,
        }
    }

    #[test]
    fn the_entry_appears_and_disappears_with_the_setting() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = at(dir.path(), "/usr/bin/skyport-desktop");
        assert!(!a.is_enabled());
        a.set(true).expect("on");
        assert!(a.is_enabled());
        let text = std::fs::read_to_string(&a.entry).expect("entry");
        assert!(
            text.contains("\nExec=/usr/bin/skyport-desktop --hidden\n"),
            "{text}"
        );
        assert!(
            text.contains("\nTryExec=/usr/bin/skyport-desktop\n"),
            "{text}"
        );
        a.set(true).expect("on twice");
        a.set(false).expect("off");
        assert!(!a.entry.exists());
        a.set(false).expect("off twice");
    }

    #[test]
    fn an_entry_turned_off_by_the_desktop_reads_as_off_and_is_left_alone() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = at(dir.path(), "/usr/bin/skyport-desktop");
        a.set(true).expect("on");
        let text = std::fs::read_to_string(&a.entry).expect("entry");
        let off = text.replace(
            "X-GNOME-Autostart-enabled=true",
            "X-GNOME-Autostart-enabled=false",
        );
        std::fs::write(&a.entry, &off).expect("turned off");
        assert!(!a.is_enabled());
        let moved = at(dir.path(), "/opt/skyport/skyport-desktop");
        assert!(!moved.refresh().expect("refresh"));
        assert_eq!(std::fs::read_to_string(&a.entry).expect("kept"), off);
        std::fs::write(
            &a.entry,
            "[Desktop Entry]\nExec=skyport-desktop\nHidden=true\n",
        )
        .expect("hidden");
        assert!(!a.is_enabled());
        // A key in another group says nothing about the entry.
        std::fs::write(
            &a.entry,
            "[Desktop Entry]\nExec=x\n[Desktop Action y]\nHidden=true\n",
        )
        .expect("action");
        assert!(a.is_enabled());
    }

    #[test]
    fn a_moved_program_gets_its_entry_rewritten_but_a_foreign_entry_is_kept() {
        let dir = tempfile::tempdir().expect("tmp");
        at(dir.path(), "/opt/old/skyport-desktop")
            .set(true)
            .expect("on");
        let now = at(dir.path(), "/opt/new/skyport-desktop");
        assert!(now.refresh().expect("refresh"));
        assert!(std::fs::read_to_string(&now.entry)
            .expect("entry")
            .contains("Exec=/opt/new/skyport-desktop --hidden"));
        assert!(!now.refresh().expect("again"), "nothing left to change");
        std::fs::write(&now.entry, "[Desktop Entry]\nExec=my-own-wrapper\n").expect("own");
        assert!(!now.refresh().expect("foreign"));
        assert!(
            now.is_enabled(),
            "an entry the user wrote still starts Skyport"
        );
    }

    #[test]
    fn paths_are_quoted_and_escaped_as_the_spec_says() {
        let arg = |s: &str| exec_arg(Path::new(s)).expect("writable");
        assert_eq!(arg("/usr/bin/skyport-desktop"), "/usr/bin/skyport-desktop");
        assert_eq!(arg("/home/a b/Sky port"), r#""/home/a b/Sky port""#);
        assert_eq!(arg("/x/50%/app"), "/x/50%%/app");
        // `$` escaped inside the quotes; the backslash of that escape doubled as a string.
        assert_eq!(arg("/x/$HOME/app"), r#""/x/\\$HOME/app""#);
        assert_eq!(arg(r#"/x/"q"/a"#), r#""/x/\\"q\\"/a""#);
        assert_eq!(arg(r"/x/back\slash"), r#""/x/back\\\\slash""#);
        assert!(matches!(
            exec_arg(Path::new("/x/line\nbreak")),
            Err(AutostartError::Unwritable(_))
        ));
    }

    #[test]
    fn a_custom_skyport_home_goes_with_the_entry() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = Autostart {
            skyport_home: Some(PathBuf::from("/home/a/My Sky")),
            ..at(dir.path(), "/usr/bin/skyport-desktop")
        };
        let text = a.entry_text().expect("text");
        assert!(
            text.contains(
                r#"Exec=env "SKYPORT_HOME=/home/a/My Sky" /usr/bin/skyport-desktop --hidden"#
            ),
            "{text}"
        );
    }

    #[test]
    fn an_unwritable_folder_says_so() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("autostart"), b"a file, not a folder").expect("file");
        let e = at(dir.path(), "/usr/bin/skyport-desktop")
            .set(true)
            .expect_err("not a folder");
        assert!(
            e.to_string().contains("Check that the folder is writable"),
            "{e}"
        );
    }
}
