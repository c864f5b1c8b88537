pub mod challenge;
pub mod password;
