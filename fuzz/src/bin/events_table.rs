fn main() {
    afl::fuzz!(|data: &[u8]| skyport_fuzz::events_table::run(data));
}
