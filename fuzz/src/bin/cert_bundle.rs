fn main() {
    afl::fuzz!(|data: &[u8]| skyport_fuzz::cert_bundle::run(data));
}
