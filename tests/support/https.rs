// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! An HTTPS server on 127.0.0.1 with a test CA's server certificate, for
//! the tests of kiln's HTTPS clients (get_url/uri on the controller, the
//! `url` lookup).

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

/// One accepted TLS connection (the handshake runs on first read).
pub type Tls = rustls::StreamOwned<rustls::ServerConnection, TcpStream>;

/// Serves until the test ends, each connection on its own thread through
/// `handle`; returns the port.
pub fn serve<F>(pki: &kube_fake::Pki, handle: F) -> u16
where
    F: Fn(Tls) + Send + Sync + 'static,
{
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key =
        <rustls::pki_types::PrivateKeyDer as rustls::pki_types::pem::PemObject>::from_pem_slice(
            pki.server.key_pem.as_bytes(),
        )
        .expect("key");
    let tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(
                pki.server.der.clone(),
            )],
            key,
        )
        .expect("server config");
    let tls = Arc::new(tls);
    let handle = Arc::new(handle);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let Ok(conn) = rustls::ServerConnection::new(tls.clone()) else {
                continue;
            };
            let handle = handle.clone();
            std::thread::spawn(move || handle(rustls::StreamOwned::new(conn, tcp)));
        }
    });
    port
}
