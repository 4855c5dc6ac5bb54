// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The tests' HTTP proxies: a listener that reads each request head
//! ([`serve`]), and the tunnel a proxy opens once it accepts a
//! `CONNECT target` request ([`tunnel`]).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

/// A proxy on 127.0.0.1 until the test ends: each connection's request
/// head (up to its blank line, read byte by byte so nothing after it is
/// taken) goes with the connection to `handle`, on a thread of its own.
/// Returns the port.
pub fn serve<F>(handle: F) -> u16
where
    F: Fn(TcpStream, String) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = Arc::new(handle);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut client) = stream else { continue };
            let handle = handle.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match client.read(&mut b) {
                        Ok(1) => head.push(b[0]),
                        _ => return,
                    }
                }
                handle(client, String::from_utf8_lossy(&head).into_owned());
            });
        }
    });
    port
}

/// Answers `client`'s `CONNECT` for `target`: a 502 when the target does
/// not answer, else "200 Connection established" and the bytes both ways.
pub fn tunnel(mut client: TcpStream, target: &str) {
    let Ok(server) = TcpStream::connect(target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
        return;
    };
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let (mut c2, mut s2) = (
        client.try_clone().expect("clone"),
        server.try_clone().expect("clone"),
    );
    let mut server = server;
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut c2, &mut s2);
        let _ = s2.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut server, &mut client);
    let _ = client.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}
