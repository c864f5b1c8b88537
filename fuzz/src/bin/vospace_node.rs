fn main() {
    afl::fuzz!(|data: &[u8]| skyport_fuzz::vospace_node::run(data));
}
