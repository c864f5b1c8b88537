//! A small GTK window that offers one file by drag and drop, as a file manager does. The
//! end-to-end test drags from it onto Skyport with xdotool: a real XDND drag between two X
//! clients under Xvfb, through WebKitGTK and Tauri's drop events to the Storage view.
//!
//! Usage: drag_source FILE X Y (the window's place on the screen). It prints `ready` when
//! shown, and quits when the drop is done.

use gtk::prelude::*;
use gtk::{gdk, glib};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, x, y] = args.as_slice() else {
        eprintln!("usage: drag_source FILE X Y");
        std::process::exit(2);
    };
    let (Ok(x), Ok(y)) = (x.parse::<i32>(), y.parse::<i32>()) else {
        eprintln!("drag_source: X and Y are numbers");
        std::process::exit(2);
    };
    let uri = match glib::filename_to_uri(file, None) {
        Ok(u) => u.to_string(),
        Err(e) => {
            eprintln!("drag_source: {file}: {e}");
            std::process::exit(2);
        }
    };
    if gtk::init().is_err() {
        eprintln!("drag_source: no display");
        std::process::exit(1);
    }
    let window = gtk::Window::new(gtk::WindowType::Toplevel);
    window.set_title("drag source");
    window.set_default_size(180, 90);
    window.move_(x, y);
    let label = gtk::Label::new(Some("drag me"));
    let area = gtk::EventBox::new();
    area.add(&label);
    area.drag_source_set(
        gdk::ModifierType::BUTTON1_MASK,
        &[gtk::TargetEntry::new(
            "text/uri-list",
            gtk::TargetFlags::OTHER_APP,
            0,
        )],
        gdk::DragAction::COPY,
    );
    area.connect_drag_data_get(move |_, _, data, _, _| {
        data.set_uris(&[uri.as_str()]);
    });
    area.connect_drag_end(|_, _| gtk::main_quit());
    window.add(&area);
    window.connect_map_event(|_, _| {
        println!("ready");
        glib::Propagation::Proceed
    });
    window.connect_destroy(|_| gtk::main_quit());
    window.show_all();
    gtk::main();
}
