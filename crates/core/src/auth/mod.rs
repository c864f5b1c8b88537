pub mod challenge;
pub mod oidc;
pub mod password;
pub mod signin;
