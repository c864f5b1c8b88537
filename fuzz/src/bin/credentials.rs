fn main() {
    afl::fuzz!(|data: &[u8]| skyport_fuzz::credentials::run(data));
}
