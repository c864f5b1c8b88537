fn main() {
    afl::fuzz!(|data: &[u8]| skyport_fuzz::skaha_json::run(data));
}
