fn main() {
    afl::fuzz!(|data: &[u8]| skyport_fuzz::service_url::run(data));
}
