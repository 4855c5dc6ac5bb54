// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Helpers shared by the integration tests (`mod support;` in each test file).
// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

pub mod agent;
pub mod fleet;
pub mod https;
pub mod nspawn;
pub mod sshd;
pub mod tunnel;
