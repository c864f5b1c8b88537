fn main() {
    afl::fuzz!(|data: &[u8]| skyport_fuzz::relay_rewrite::run(data));
}
