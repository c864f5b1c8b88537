//! A local CA made at start: it signs the HTTPS listener's certificate, the client
//! certificates handed out by `/cred/generate` and `SimHandle::issue_client_cert`, and is the
//! only root trusted for client-certificate authentication.

use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::EncodePrivateKey;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::errors::SimError;
use crate::server::ClientCert;

/// Key type of an issued client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA 2048, what the CADC credential service issues (slow to generate in debug builds).
    Rsa2048,
    /// ECDSA P-256, fast; for tests.
    EcdsaP256,
}

pub struct TlsMaterial {
    pub ca_pem: String,
    ca_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    pub server_config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial").finish_non_exhaustive()
    }
}

fn tls_err(e: impl std::fmt::Display) -> SimError {
    SimError::Tls(e.to_string())
}

fn offset(t: time::OffsetDateTime, d: Duration) -> time::OffsetDateTime {
    t.checked_add(time::Duration::try_from(d).unwrap_or(time::Duration::ZERO))
        .unwrap_or(t)
}

/// The DN CADC gives its users.
pub fn user_dn(user: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "ca");
    dn.push(DnType::OrganizationName, "hia");
    dn.push(DnType::OrganizationalUnitName, "cadc");
    dn.push(DnType::CommonName, user);
    dn
}

impl TlsMaterial {
    pub fn generate() -> Result<Self, SimError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let now = time::OffsetDateTime::now_utc();

        let ca_key = KeyPair::generate().map_err(tls_err)?;
        let mut ca_params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "skyport-sim");
        dn.push(DnType::CommonName, "Skyport Sim Local CA");
        ca_params.distinguished_name = dn;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        ca_params.not_before = offset(now, Duration::ZERO) - time::Duration::hours(1);
        ca_params.not_after = offset(now, Duration::from_secs(365 * 86_400));
        let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_err)?;
        let ca_pem = ca_cert.pem();
        let ca_der = ca_cert.der().clone();
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().map_err(tls_err)?;
        let mut sp = CertificateParams::new(vec!["localhost".to_string()]).map_err(tls_err)?;
        sp.subject_alt_names
            .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
        let mut sdn = DistinguishedName::new();
        sdn.push(DnType::CommonName, "127.0.0.1");
        sp.distinguished_name = sdn;
        sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        sp.not_before = now - time::Duration::hours(1);
        sp.not_after = offset(now, Duration::from_secs(365 * 86_400));
        sp.use_authority_key_identifier_extension = true;
        let server_cert = sp.signed_by(&server_key, &issuer).map_err(tls_err)?;

        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca_der.clone()).map_err(tls_err)?;
        // Client certificates are optional: without one, the other methods still apply.
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .allow_unauthenticated()
                .build()
                .map_err(tls_err)?;
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_err)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![server_cert.der().clone(), ca_der.clone()], key_der)
            .map_err(tls_err)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

        Ok(Self {
            ca_pem,
            ca_der,
            issuer,
            server_config: Arc::new(config),
        })
    }

    /// Issues a client certificate for `user` as the credential service does: notBefore five
    /// minutes back, basicConstraints CA:false, SKI/AKI. Returns the PEM bundle in the cred
    /// order: certificate, private key, signing chain.
    pub fn issue(&self, user: &str, validity: Duration, kind: KeyKind) -> Result<String, SimError> {
        let now = time::OffsetDateTime::now_utc();
        let (key, key_pem) = match kind {
            KeyKind::EcdsaP256 => {
                let k = KeyPair::generate().map_err(tls_err)?;
                let pem = k.serialize_pem();
                (k, pem)
            }
            KeyKind::Rsa2048 => {
                let rsa =
                    rsa::RsaPrivateKey::new(&mut rand08::thread_rng(), 2048).map_err(tls_err)?;
                let pkcs8 = rsa.to_pkcs8_der().map_err(tls_err)?;
                // BouncyCastle's JcaPEMWriter writes RSA keys as PKCS#1.
                let pem = rsa
                    .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
                    .map_err(tls_err)?
                    .to_string();
                let k = KeyPair::from_pkcs8_der_and_sign_algo(
                    &PrivatePkcs8KeyDer::from(pkcs8.as_bytes().to_vec()),
                    &rcgen::PKCS_RSA_SHA256,
                )
                .map_err(tls_err)?;
                (k, pem)
            }
        };
        let mut p = CertificateParams::default();
        p.distinguished_name = user_dn(user);
        p.is_ca = IsCa::ExplicitNoCa;
        p.not_before = now - time::Duration::minutes(5);
        p.not_after = offset(now, validity);
        p.use_authority_key_identifier_extension = true;
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let mut serial = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut serial);
        serial[0] &= 0x7f;
        p.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
        let cert = p.signed_by(&key, &self.issuer).map_err(tls_err)?;
        Ok(format!("{}{}{}", cert.pem(), key_pem, self.ca_pem))
    }

    pub fn ca_der(&self) -> &CertificateDer<'static> {
        &self.ca_der
    }
}

/// The user named by a verified client certificate's CN.
pub fn client_identity(der: &[u8]) -> Option<ClientCert> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let cn = subject
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    Some(ClientCert {
        user: cn,
        dn: subject.to_string(),
    })
}
