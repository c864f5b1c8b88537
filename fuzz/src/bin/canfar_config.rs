fn main() {
    afl::fuzz!(|data: &[u8]| skyport_fuzz::canfar_config::run(data));
}
