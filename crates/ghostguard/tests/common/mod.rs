//! What the binary's end-to-end tests share: the binary, a free loopback
//! port, and a child process killed when the test ends (also on panic).
#![allow(dead_code, clippy::unwrap_used)]

use std::net::UdpSocket;
use std::process::Child;

pub const BIN: &str = env!("CARGO_BIN_EXE_ghostguard");

/// A UDP port free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `ghostguard` (daemon, reflector), killed and reaped on drop.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
